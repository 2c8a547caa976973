using System.Globalization;
using Alerting.Protocol.Log;
using Alerting.Protocol.V1;

namespace Alerting.Cli.Files;

/// <summary>
/// The line format of <c>alertctl check -f</c>: <c>check{tag:value,...} STATUS [unix_ms] [| message]</c>.
/// STATUS is ok, warn (or warning), critical or unknown, in any case, or Datadog's number for it
/// (0 ok, 1 warn, 2 critical, 3 unknown). No braces means no tags; a missing timestamp means now.
/// Everything after the first <c>|</c> that follows the status is the message, verbatim but trimmed.
/// Blank lines and lines starting with <c>#</c> carry no run.
/// </summary>
internal static class CheckRunLine
{
    /// <summary>Longest line accepted, message included; the server keeps messages up to 4,000 characters.</summary>
    public const int MaxLineLength = 8_192;

    public const string Syntax = "check{tag:value,...} STATUS [unix_ms] [| message]";

    /// <summary>
    /// Parses one line. Returns false with <paramref name="error"/> when it is malformed, and true
    /// with a null <paramref name="run"/> when it is blank or a comment.
    /// </summary>
    public static bool TryParse(string line, long nowUnixMs, out CheckRunInput? run, out string error)
    {
        ArgumentNullException.ThrowIfNull(line);
        run = null;
        error = "";
        string text = line.Trim();
        if (text.Length == 0 || text[0] == '#')
        {
            return true;
        }

        if (text.Length > MaxLineLength)
        {
            error = $"line is longer than {MaxLineLength} characters";
            return false;
        }

        int nameEnd = 0;
        while (nameEnd < text.Length && text[nameEnd] != '{' && text[nameEnd] != '|' && !char.IsWhiteSpace(text[nameEnd]))
        {
            nameEnd++;
        }

        var parsed = new CheckRunInput { Check = text[..nameEnd] };
        if (parsed.Check.Length == 0)
        {
            error = $"missing check name (expected: {Syntax})";
            return false;
        }

        int rest = nameEnd;
        if (rest < text.Length && text[rest] == '{')
        {
            int close = text.IndexOf('}', rest);
            if (close < 0)
            {
                error = "unclosed '{' in the tag list";
                return false;
            }

            if (!TryAddTags(text[(rest + 1)..close], parsed, out error))
            {
                return false;
            }

            rest = close + 1;
        }

        string fieldsText = text[rest..];
        int bar = fieldsText.IndexOf('|', StringComparison.Ordinal);
        if (bar >= 0)
        {
            parsed.Message = fieldsText[(bar + 1)..].Trim();
            fieldsText = fieldsText[..bar];
        }

        string[] fields = fieldsText.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length == 0)
        {
            error = $"missing status after '{text[..rest]}' (ok, warn, critical or unknown)";
            return false;
        }

        if (fields.Length > 2)
        {
            error = $"unexpected '{fields[2]}' after the timestamp (a message goes after '|')";
            return false;
        }

        if (!TryParseStatus(fields[0], out CheckStatus status, out error))
        {
            return false;
        }

        parsed.Status = status;
        parsed.UnixMs = nowUnixMs;
        if (fields.Length == 2)
        {
            if (!long.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out long unixMs))
            {
                error = $"timestamp '{fields[1]}' is not a whole number of Unix milliseconds (a message goes after '|')";
                return false;
            }

            parsed.UnixMs = unixMs;
        }

        run = parsed;
        return true;
    }

    /// <summary>Reads a status word: ok, warn, warning, critical, unknown (any case) or 0..3.</summary>
    public static bool TryParseStatus(string text, out CheckStatus status, out string error)
    {
        ArgumentNullException.ThrowIfNull(text);
        error = "";
        switch (text.ToLowerInvariant())
        {
            case "ok" or "0":
                status = CheckStatus.Ok;
                return true;
            case "warn" or "warning" or "1":
                status = CheckStatus.Warn;
                return true;
            case "critical" or "2":
                status = CheckStatus.Critical;
                return true;
            case "unknown" or "3":
                status = CheckStatus.Unknown;
                return true;
            default:
                status = CheckStatus.Unknown;
                error = $"status '{text}' is not ok, warn, critical or unknown (or 0..3)";
                return false;
        }
    }

    /// <summary>Adds the comma-separated tags of <paramref name="list"/>; an empty item is an error.</summary>
    public static bool TryAddTags(string list, CheckRunInput run, out string error)
    {
        ArgumentNullException.ThrowIfNull(list);
        ArgumentNullException.ThrowIfNull(run);
        error = "";
        foreach (string tag in list.Split(',', StringSplitOptions.TrimEntries))
        {
            if (tag.Length == 0)
            {
                error = "empty tag in the tag list";
                return false;
            }

            run.Tags.Add(tag);
        }

        return true;
    }
}
