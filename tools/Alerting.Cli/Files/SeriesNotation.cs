using System.Globalization;

namespace Alerting.Cli.Files;

/// <summary>
/// The compact notation of input series in <c>alertctl test</c> files, one value per step:
/// <c>50 60 95x3 40 _ 10+5x2</c>. <c>VxN</c> is V N times; <c>A+BxN</c> (or <c>A-BxN</c>) is
/// A, A+B, ..., A+N*B, N+1 values as in <c>promtool</c>; <c>_</c> is a step with no point.
/// </summary>
internal static class SeriesNotation
{
    /// <summary>Most values one series may expand to; a guard against a typo like 1x1000000000.</summary>
    public const int MaxValues = 100_000;

    /// <summary>Expands <paramref name="text"/>; a null entry is a step with no point. False with <paramref name="error"/> when malformed.</summary>
    public static bool TryExpand(string text, out List<double?> values, out string error)
    {
        ArgumentNullException.ThrowIfNull(text);
        values = [];
        error = "";
        foreach (string item in text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
        {
            if (item == "_")
            {
                values.Add(null);
                continue;
            }

            double start;
            double delta = 0;
            long count = 1;
            int x = item.IndexOf('x', StringComparison.Ordinal);
            string head = x < 0 ? item : item[..x];
            if (x >= 0 && (!long.TryParse(item.AsSpan(x + 1), NumberStyles.None, CultureInfo.InvariantCulture, out count) || count < 1))
            {
                error = $"'{item}': the count after 'x' must be a whole number from 1";
                return false;
            }

            int op = head.Length > 1 ? head.IndexOfAny(['+', '-'], 1) : -1;
            while (op > 0 && head[op - 1] is 'e' or 'E')
            {
                op = head.IndexOfAny(['+', '-'], op + 1);
            }

            if (op > 0)
            {
                if (x < 0 || !TryNumber(head[..op], out start) || !TryNumber(head[(op + 1)..], out delta))
                {
                    error = $"'{item}' is not A+BxN (A, A+B, ..., A+N*B)";
                    return false;
                }

                delta = head[op] == '-' ? -delta : delta;
                count++;
            }
            else if (!TryNumber(head, out start))
            {
                error = $"'{item}' is not a number, VxN, A+BxN or _";
                return false;
            }

            if (values.Count + count > MaxValues)
            {
                error = $"more than {MaxValues} values in one series";
                return false;
            }

            for (long i = 0; i < count; i++)
            {
                values.Add(start + (i * delta));
            }
        }

        if (values.Count == 0)
        {
            error = "no values";
            return false;
        }

        return true;
    }

    private static bool TryNumber(string text, out double value) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value) && double.IsFinite(value);
}
