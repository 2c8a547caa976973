using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Alerting.Protocol.Log;
using Monitor = Alerting.Protocol.Log.Monitor;

namespace Alerting.Cli.Files;

/// <summary>
/// Writes monitors back as files <c>alertctl monitors apply</c> reads: <c>yaml</c> (this tool's
/// monitor file) or <c>datadog</c> (the <c>/api/v1/monitor</c> JSON shape, in Datadog's units).
/// Applying an export again leaves every monitor unchanged. Options Datadog has no field for are
/// left out of a Datadog export, one warning each.
/// </summary>
internal static class MonitorExport
{
    public static readonly IReadOnlyList<string> Formats = ["yaml", "datadog"];

    // Queries and templates hold '>', '<', '&' and non-ASCII names: written as they are, not as \u escapes.
    private static readonly JsonWriterOptions Indented = new() { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static readonly JsonSerializerOptions Relaxed = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Datadog JSON: a list of monitor objects. <paramref name="warnings"/> gets one line per option left out.</summary>
    public static string ToDatadog(IReadOnlyList<Monitor> monitors, List<string> warnings)
    {
        ArgumentNullException.ThrowIfNull(monitors);
        ArgumentNullException.ThrowIfNull(warnings);
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, Indented))
        {
            json.WriteStartArray();
            foreach (Monitor monitor in monitors)
            {
                WriteDatadog(json, monitor, warnings);
            }

            json.WriteEndArray();
        }

        return Encoding.UTF8.GetString(stream.ToArray()) + "\n";
    }

    /// <summary>This tool's YAML monitor file: a list of monitors, durations as 30s / 5m / 1h.</summary>
    public static string ToYaml(IReadOnlyList<Monitor> monitors)
    {
        ArgumentNullException.ThrowIfNull(monitors);
        var text = new StringBuilder();
        foreach (Monitor monitor in monitors)
        {
            text.Append("- name: ").AppendLine(Quote(monitor.Name));
            text.Append("  type: ").AppendLine(Quote(monitor.Type));
            text.Append("  query: ").AppendLine(Quote(monitor.Query));
            if (monitor.Message.Length > 0)
            {
                text.Append("  message: ").AppendLine(Quote(monitor.Message));
            }

            if (monitor.Tags.Count > 0)
            {
                text.Append("  tags: [").AppendJoin(", ", monitor.Tags.Select(Quote)).AppendLine("]");
            }

            if (monitor.Priority != 0)
            {
                text.Append("  priority: ").AppendLine(monitor.Priority.ToString(CultureInfo.InvariantCulture));
            }

            var options = YamlOptions(monitor.Options ?? new MonitorOptions()).ToList();
            if (options.Count > 0)
            {
                text.AppendLine("  options:");
                foreach ((string key, string value) in options)
                {
                    text.Append("    ").Append(key).Append(": ").AppendLine(value);
                }
            }
        }

        return text.ToString();
    }

    private static IEnumerable<(string Key, string Value)> YamlOptions(MonitorOptions o)
    {
        if (o.Thresholds is { } t && Thresholds(t).ToList() is { Count: > 0 } thresholds)
        {
            yield return ("thresholds", "{" + string.Join(", ", thresholds.Select(p => $"{p.Key}: {Number(p.Value)}")) + "}");
        }

        if (o.OnMissingData.Length > 0)
        {
            yield return ("on_missing_data", o.OnMissingData);
        }

        if (o.EvaluateAsZero)
        {
            yield return ("evaluate_as_zero", "true");
        }

        if (o.CheckThresholds is { } c)
        {
            yield return ("check_thresholds", $"{{critical: {c.Critical}, warning: {c.Warning}, ok: {c.Ok}, unknown: {c.Unknown}}}");
        }

        foreach ((string key, long ms) in new[]
        {
            ("evaluation_interval", o.EvaluationIntervalMs), ("evaluation_delay", o.EvaluationDelayMs), ("new_group_delay", o.NewGroupDelayMs),
            ("no_data_timeframe", o.NoDataTimeframeMs), ("renotify_interval", o.RenotifyIntervalMs), ("for", o.ForMs), ("keep_firing_for", o.KeepFiringForMs),
            ("group_retention_duration", o.GroupRetentionMs),
        })
        {
            // An explicit new_group_delay of 0 is written too: left out, it would read back as the 60 s default.
            if (ms != 0 || (key == "new_group_delay" && o.HasNewGroupDelayMs))
            {
                yield return (key, DurationText.Format(ms));
            }
        }

        foreach ((string key, bool on) in new[] { ("on_arrival", o.OnArrival), ("require_full_window", o.RequireFullWindow), ("notify_no_data", o.NotifyNoData), ("flap_detection", o.FlapDetection), ("muted", o.Muted) })
        {
            if (on)
            {
                yield return (key, "true");
            }
        }

        if (o.RenotifyStatuses.Count > 0)
        {
            yield return ("renotify_statuses", "[" + string.Join(", ", o.RenotifyStatuses.Select(Quote)) + "]");
        }

        if (o.RenotifyOccurrences != 0)
        {
            yield return ("renotify_occurrences", o.RenotifyOccurrences.ToString(CultureInfo.InvariantCulture));
        }

        if (o.EscalationMessage.Length != 0)
        {
            yield return ("escalation_message", Quote(o.EscalationMessage));
        }

        if (o.NotifyBy.Count > 0)
        {
            yield return ("notify_by", "[" + string.Join(", ", o.NotifyBy.Select(Quote)) + "]");
        }

        if (o.TimeoutMs != 0)
        {
            yield return ("timeout_h", Number(o.TimeoutMs / 3_600_000.0));
        }

        if (o.FlapLowPercent != 0)
        {
            yield return ("flap_low_percent", Number(o.FlapLowPercent));
        }

        if (o.FlapHighPercent != 0)
        {
            yield return ("flap_high_percent", Number(o.FlapHighPercent));
        }
    }

    private static void WriteDatadog(Utf8JsonWriter json, Monitor monitor, List<string> warnings)
    {
        json.WriteStartObject();
        json.WriteString("name", monitor.Name);
        json.WriteString("type", monitor.Type switch { "check" => "service check", "composite" => "composite", _ => "metric alert" });
        json.WriteString("query", monitor.Query);
        json.WriteString("message", monitor.Message);
        json.WriteStartArray("tags");
        foreach (string tag in monitor.Tags)
        {
            json.WriteStringValue(tag);
        }

        json.WriteEndArray();
        if (monitor.Priority != 0)
        {
            json.WriteNumber("priority", monitor.Priority);
        }
        else
        {
            json.WriteNull("priority");
        }

        MonitorOptions o = monitor.Options ?? new MonitorOptions();
        bool check = monitor.Type == "check";
        json.WriteStartObject("options");
        if (check && o.CheckThresholds is { } counts)
        {
            // Datadog's service-check thresholds are these run counts.
            json.WriteStartObject("thresholds");
            json.WriteNumber("critical", counts.Critical);
            json.WriteNumber("warning", counts.Warning);
            json.WriteNumber("ok", counts.Ok);
            if (counts.Unknown > 0)
            {
                json.WriteNumber("unknown", counts.Unknown);
            }

            json.WriteEndObject();
        }
        else if (check && o.Thresholds is not null)
        {
            warnings.Add($"{monitor.Name}: options.thresholds of a check monitor are status levels, Datadog's are run counts; left out of the export");
        }
        else if (o.Thresholds is { } t && Thresholds(t).ToList() is { Count: > 0 } thresholds)
        {
            json.WriteStartObject("thresholds");
            foreach ((string key, double value) in thresholds)
            {
                json.WriteNumber(key, value);
            }

            json.WriteEndObject();
        }

        json.WriteBoolean("notify_no_data", o.NotifyNoData);
        if (o.OnMissingData.Length > 0)
        {
            json.WriteString("on_missing_data", o.OnMissingData);
        }

        WriteUnits(json, "no_data_timeframe", o.NoDataTimeframeMs, DurationText.Minute);
        if (o.GroupRetentionMs != 0)
        {
            // Datadog spells it as a duration string ("2d", "60m").
            json.WriteString("group_retention_duration", DurationText.Format(o.GroupRetentionMs));
        }

        WriteUnits(json, "renotify_interval", o.RenotifyIntervalMs, DurationText.Minute);
        if (o.RenotifyStatuses.Count > 0)
        {
            json.WriteStartArray("renotify_statuses");
            foreach (string status in o.RenotifyStatuses)
            {
                json.WriteStringValue(status);
            }

            json.WriteEndArray();
        }

        if (o.RenotifyOccurrences != 0)
        {
            json.WriteNumber("renotify_occurrences", o.RenotifyOccurrences);
        }

        if (o.EscalationMessage.Length != 0)
        {
            json.WriteString("escalation_message", o.EscalationMessage);
        }

        if (o.NotifyBy.Count > 0)
        {
            json.WriteStartArray("notify_by");
            foreach (string tag in o.NotifyBy)
            {
                json.WriteStringValue(tag);
            }

            json.WriteEndArray();
        }

        WriteUnits(json, "timeout_h", o.TimeoutMs, 3_600_000);
        WriteUnits(json, "evaluation_delay", o.EvaluationDelayMs, 1_000);
        if (o is { HasNewGroupDelayMs: true, NewGroupDelayMs: 0 })
        {
            // Datadog reads 0 as no delay and null as its 60 s default.
            json.WriteNumber("new_group_delay", 0);
        }
        else
        {
            WriteUnits(json, "new_group_delay", o.NewGroupDelayMs, 1_000);
        }

        json.WriteBoolean("require_full_window", o.RequireFullWindow);
        json.WriteStartObject("silenced");
        if (o.Muted)
        {
            json.WriteNull("*");
        }

        json.WriteEndObject();
        json.WriteEndObject();
        json.WriteEndObject();

        foreach ((string field, bool set) in new[]
        {
            ("evaluation_interval", o.EvaluationIntervalMs != 0), ("on_arrival", o.OnArrival), ("for", o.ForMs != 0),
            ("keep_firing_for", o.KeepFiringForMs != 0), ("flap_detection", o.FlapDetection), ("evaluate_as_zero", o.EvaluateAsZero),
        })
        {
            if (set)
            {
                warnings.Add($"{monitor.Name}: options.{field} has no Datadog field; left out of the export");
            }
        }
    }

    private static IEnumerable<(string Key, double Value)> Thresholds(Thresholds t)
    {
        if (t.HasCritical)
        {
            yield return ("critical", t.Critical);
        }

        if (t.HasWarning)
        {
            yield return ("warning", t.Warning);
        }

        if (t.HasCriticalRecovery)
        {
            yield return ("critical_recovery", t.CriticalRecovery);
        }

        if (t.HasWarningRecovery)
        {
            yield return ("warning_recovery", t.WarningRecovery);
        }
    }

    /// <summary>A duration in Datadog's unit of the field; null when unset, as Datadog writes it.</summary>
    private static void WriteUnits(Utf8JsonWriter json, string field, long ms, long unitMs)
    {
        if (ms == 0)
        {
            json.WriteNull(field);
        }
        else if (ms % unitMs == 0)
        {
            json.WriteNumber(field, ms / unitMs);
        }
        else
        {
            json.WriteNumber(field, (double)ms / unitMs);
        }
    }

    private static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>A YAML double-quoted scalar: JSON string syntax is valid YAML.</summary>
    private static string Quote(string text) => JsonSerializer.Serialize(text, Relaxed);
}
