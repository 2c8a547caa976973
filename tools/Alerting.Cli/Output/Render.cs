using System.Globalization;
using Spectre.Console;

namespace Alerting.Cli.Output;

/// <summary>Shared text forms for human output.</summary>
internal static class Render
{
    /// <summary>UTC time to the second, or "-" for the proto's 0 = unset.</summary>
    public static string Time(long unixMs) => unixMs == 0
        ? "-"
        : DateTimeOffset.FromUnixTimeMilliseconds(unixMs).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    public static string Number(double? value) => value is { } v ? v.ToString("G6", CultureInfo.InvariantCulture) : "-";

    public static string Flags(params (bool On, string Name)[] flags)
    {
        string text = string.Join(',', flags.Where(f => f.On).Select(f => f.Name));
        return text.Length == 0 ? "-" : text;
    }

    /// <summary>A table whose cells are plain text (never parsed as markup: values come from users).</summary>
    public static Table Table(params string[] headers)
    {
        var table = new Table().Border(TableBorder.None);
        foreach (string header in headers)
        {
            table.AddColumn(new TableColumn(new Text(header)) { Padding = new Padding(0, 0, 2, 0) });
        }

        return table;
    }

    public static void AddRow(Table table, params string[] cells)
    {
        ArgumentNullException.ThrowIfNull(table);
        table.AddRow(cells.Select(c => (Spectre.Console.Rendering.IRenderable)new Text(c)).ToArray());
    }
}
