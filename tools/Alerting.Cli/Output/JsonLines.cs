using System.Globalization;
using System.Text.Json;
using Google.Protobuf;
using YamlDotNet.Serialization;

namespace Alerting.Cli.Output;

/// <summary>
/// <c>--json</c> (<c>--output json</c>) output: one protobuf message per line in the proto3 JSON mapping, with
/// the proto's snake_case field names (as in monitor files) and default values written out, so a script never
/// has to guess whether a missing field means zero. With <see cref="Yaml"/> (<c>--output yaml</c>) each object
/// is written as a YAML document (<c>---</c>) with the same fields and values.
/// </summary>
internal sealed class JsonLines(TextWriter writer)
{
    private static readonly JsonFormatter Formatter = new(JsonFormatter.Settings.Default.WithFormatDefaultValues(true).WithPreserveProtoFieldNames(true));

    private static readonly ISerializer YamlWriter = new SerializerBuilder().WithQuotingNecessaryStrings().Build();

    /// <summary>Write YAML documents instead of JSON lines.</summary>
    public bool Yaml { get; set; }

    public void Write(IMessage message) => WriteJson(Formatter.Format(message));

    /// <summary>Writes one JSON object (a line, or a YAML document in <see cref="Yaml"/> mode).</summary>
    public void WriteJson(string json)
    {
        if (Yaml)
        {
            using var document = JsonDocument.Parse(json);
            writer.Write("---\n");
            writer.Write(YamlWriter.Serialize(Plain(document.RootElement)));
        }
        else
        {
            writer.WriteLine(json);
        }

        writer.Flush();
    }

    /// <summary>The JSON value as dictionaries (in field order), lists and scalars, for the YAML serializer.</summary>
    private static object? Plain(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => element.EnumerateObject().Aggregate(new Dictionary<string, object?>(StringComparer.Ordinal), (fields, p) =>
        {
            fields[p.Name] = Plain(p.Value);
            return fields;
        }),
        JsonValueKind.Array => element.EnumerateArray().Select(Plain).ToList(),
        JsonValueKind.String => element.GetString(),
        JsonValueKind.Number => element.TryGetInt64(out long integer) ? integer : double.Parse(element.GetRawText(), CultureInfo.InvariantCulture),
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => null,
    };
}
