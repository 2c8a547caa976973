using System.Globalization;

namespace Alerting.Cli.Files;

/// <summary>
/// Durations as operators write them: <c>500ms</c>, <c>30s</c>, <c>5m</c>, <c>1h</c>, <c>1d</c>,
/// or a plain number in the field's Datadog unit: seconds, except minutes for <c>renotify_interval</c>
/// and <c>no_data_timeframe</c> (as Datadog's monitor options count them). Fractions are allowed
/// (<c>1.5h</c>); the result is whole milliseconds.
/// </summary>
internal static class DurationText
{
    /// <summary>Longest duration accepted anywhere: ten years, far beyond any monitor window.</summary>
    public const long MaxMs = 10L * 365 * 24 * 60 * 60 * 1000;

    private static readonly (string Suffix, double Ms)[] Units =
    [
        ("ms", 1),
        ("s", 1_000),
        ("m", 60_000),
        ("h", 3_600_000),
        ("d", 86_400_000),
    ];

    public const string Expected = "a duration like 30s, 5m, 1h, 1d, 500ms or a number of seconds";

    public const long Minute = 60_000;

    /// <summary>What a duration field accepts when a plain number counts <paramref name="bareUnitMs"/>.</summary>
    public static string ExpectedFor(long bareUnitMs) => bareUnitMs switch
    {
        1_000 => Expected,
        Minute => "a duration like 30s, 5m, 1h, 1d, 500ms or a number of minutes",
        _ => $"a duration like 30s, 5m, 1h, 1d, 500ms or a number of {bareUnitMs} ms units",
    };

    /// <summary>Parses <paramref name="text"/> into milliseconds; false with a reason when it is not a duration in [0, <see cref="MaxMs"/>].</summary>
    public static bool TryParseMs(string text, out long ms, out string error) => TryParseMs(text, 1_000, out ms, out error);

    /// <summary>
    /// As <see cref="TryParseMs(string, out long, out string)"/>, with a plain number counted in
    /// <paramref name="bareUnitMs"/> (Datadog's unit of the field: minutes for <c>renotify_interval</c>).
    /// </summary>
    public static bool TryParseMs(string text, long bareUnitMs, out long ms, out string error)
    {
        ArgumentNullException.ThrowIfNull(text);
        ms = 0;
        string trimmed = text.Trim();
        double scale = bareUnitMs;
        string number = trimmed;
        foreach ((string suffix, double unitMs) in Units)
        {
            // "ms" is tried before "s" so that "500ms" means milliseconds, not "500m" followed by "s".
            if (trimmed.EndsWith(suffix, StringComparison.Ordinal))
            {
                scale = unitMs;
                number = trimmed[..^suffix.Length];
                break;
            }
        }

        if (!double.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double value) || !double.IsFinite(value))
        {
            error = $"\"{text}\" is not {ExpectedFor(bareUnitMs)}";
            return false;
        }

        double total = Math.Round(value * scale);
        if (total > MaxMs)
        {
            error = $"\"{text}\" is longer than the limit of 10 years";
            return false;
        }

        ms = (long)total;
        error = "";
        return true;
    }

    /// <summary>Formats milliseconds back in the largest exact unit (<c>90000</c> → <c>90s</c>, <c>3600000</c> → <c>1h</c>).</summary>
    public static string Format(long ms)
    {
        for (int i = Units.Length - 1; i >= 0; i--)
        {
            long unit = (long)Units[i].Ms;
            if (ms != 0 && ms % unit == 0)
            {
                return (ms / unit).ToString(CultureInfo.InvariantCulture) + Units[i].Suffix;
            }
        }

        return "0s";
    }
}
