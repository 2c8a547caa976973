using Alerting.Protocol.Log;
using Monitor = Alerting.Protocol.Log.Monitor;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Alerting.Cli.Files;

/// <summary>
/// Datadog monitor JSON as <c>GET /api/v1/monitor</c> exports it, applied unedited: read-only fields
/// are ignored, options are read in Datadog's units (<c>renotify_interval</c> and
/// <c>no_data_timeframe</c> in minutes, <c>timeout_h</c> in hours, <c>evaluation_delay</c> and
/// <c>new_group_delay</c> in seconds), and every field the engine does not support yet gives one
/// warning (an error under <c>--strict</c>) unless its value is empty or Datadog's default.
/// </summary>
internal sealed partial class MonitorFile
{
    /// <summary>Datadog monitor types and the engine type each maps to.</summary>
    private static readonly Dictionary<string, string> DatadogTypes = new(StringComparer.Ordinal)
    {
        ["metric alert"] = "metric",
        ["query alert"] = "metric",
        ["service check"] = "check",
        ["composite"] = "composite",
    };

    /// <summary>Fields Datadog sets on export (ids, audit data, live state); they say nothing about behaviour.</summary>
    private static readonly HashSet<string> DatadogReadOnlyFields = new(StringComparer.Ordinal)
    {
        "id", "org_id", "created", "created_at", "modified", "deleted", "creator", "overall_state",
        "overall_state_modified", "multi", "restricted_roles", "matching_downtimes", "state", "draft_status",
        "assets", "classification",
    };

    /// <summary>Options about notification layout or permissions only, ignored whatever their value.</summary>
    private static readonly HashSet<string> DatadogPresentationOptions = new(StringComparer.Ordinal)
    {
        "include_tags", "notify_audit", "locked", "notification_preset_name",
    };

    private static bool IsDatadogExport(YamlMappingNode map) =>
        map.Children.TryGetValue(new YamlScalarNode("type"), out YamlNode? type)
        && type is YamlScalarNode { Value: { } value }
        && DatadogTypes.ContainsKey(value);

    private void ReadDatadogMonitor(YamlMappingNode map, string path, List<Monitor> monitors)
    {
        var monitor = new Monitor();
        YamlNode? options = null;
        foreach ((YamlNode keyNode, YamlNode value) in map.Children)
        {
            string key = (keyNode as YamlScalarNode)?.Value ?? keyNode.ToString();
            string field = $"{path}.{key}";
            _positions[field] = Position(value);
            switch (key)
            {
                case "type": monitor.Type = DatadogTypes[String(value, field)]; break;
                case "name": monitor.Name = String(value, field); break;
                case "query": monitor.Query = String(value, field); break;
                case "message": monitor.Message = IsEmpty(value) ? "" : String(value, field); break;
                case "tags":
                    if (!IsEmpty(value))
                    {
                        monitor.Tags.AddRange(StringList(value, field));
                    }

                    break;
                case "priority":
                    if (!IsEmpty(value))
                    {
                        long priority = Integer(value, field);
                        if (priority is < 1 or > 5)
                        {
                            Error(value, field, $"must be 1 (highest) to 5 or null; got {priority}");
                        }

                        monitor.Priority = (int)Math.Clamp(priority, 0, 5);
                    }

                    break;
                case "options": options = value; break;
                case "id" when value is YamlScalarNode { Value: { Length: > 0 } id }:
                    // Read-only for the engine (it assigns its own), but a composite in the file may name it.
                    _sourceIds[monitors.Count] = id;
                    break;
                default:
                    if (!DatadogReadOnlyFields.Contains(key) && !IsEmpty(value))
                    {
                        Warn(keyNode, field, "is not supported yet; ignored");
                    }

                    break;
            }
        }

        foreach (string required in new[] { "name", "query" })
        {
            if (!map.Children.ContainsKey(new YamlScalarNode(required)))
            {
                Error(map, $"{path}.{required}", "is required");
            }
        }

        monitor.Options = options is null ? new MonitorOptions() : ReadDatadogOptions(options, $"{path}.options", monitor.Type == "check", monitor.Type == "composite", monitor.Query);
        monitors.Add(monitor);
    }

    private MonitorOptions ReadDatadogOptions(YamlNode node, string path, bool serviceCheck, bool composite, string query)
    {
        var options = new MonitorOptions();
        if (node is not YamlMappingNode map)
        {
            Error(node, path, "must be a mapping");
            return options;
        }

        bool hasNewGroupDelay = map.Children.TryGetValue(new YamlScalarNode("new_group_delay"), out YamlNode? groupDelay) && (!IsEmpty(groupDelay) || IsZero(groupDelay));
        foreach ((YamlNode keyNode, YamlNode value) in map.Children)
        {
            string key = (keyNode as YamlScalarNode)?.Value ?? keyNode.ToString();
            string field = $"{path}.{key}";
            _positions[field] = Position(value);
            if (composite && key is "new_group_delay" or "new_host_delay")
            {
                // Datadog exports carry them on composites too; the members wait for their new groups.
                if (!IsEmpty(value))
                {
                    Warn(keyNode, field, "does not apply to a composite monitor (its members wait for their new groups); ignored");
                }

                continue;
            }

            if ((key == "new_group_delay" || (key == "new_host_delay" && !hasNewGroupDelay)) && IsZero(value))
            {
                // Unlike the other options, a 0 delay is a setting (no delay), not "unset": Datadog's default is 60 s.
                options.NewGroupDelayMs = 0;
                continue;
            }

            if (IsEmpty(value) || DatadogPresentationOptions.Contains(key))
            {
                // null, false, 0, "", [] and {} are Datadog's way of leaving an option unset.
                continue;
            }

            switch (key)
            {
                case "thresholds": ReadDatadogThresholds(value, field, serviceCheck, options); break;
                case "threshold_windows": ReadDatadogThresholdWindows(value, field, query); break;
                case "notify_no_data": options.NotifyNoData = Bool(value, field); break;
                case "no_data_timeframe": options.NoDataTimeframeMs = Duration(value, field, DurationText.Minute); break;
                case "renotify_interval": options.RenotifyIntervalMs = Duration(value, field, DurationText.Minute); break;
                case "renotify_statuses": options.RenotifyStatuses.AddRange(StringList(value, field)); break;
                case "renotify_occurrences": options.RenotifyOccurrences = (int)Math.Clamp(NonNegativeInteger(value, field), 0, int.MaxValue); break;
                case "escalation_message": options.EscalationMessage = String(value, field); break;
                case "notify_by": options.NotifyBy.AddRange(StringList(value, field)); break;
                case "timeout_h": options.TimeoutMs = Hours(value, field); break;
                case "evaluation_delay": options.EvaluationDelayMs = Duration(value, field); break;
                case "new_group_delay": options.NewGroupDelayMs = Duration(value, field); break;
                case "new_host_delay":
                    // Datadog's older name of new_group_delay, still in many exports; new_group_delay wins.
                    if (!hasNewGroupDelay)
                    {
                        options.NewGroupDelayMs = Duration(value, field);
                    }

                    break;
                case "require_full_window": options.RequireFullWindow = Bool(value, field); break;
                case "group_retention_duration": options.GroupRetentionMs = Duration(value, field); break;
                case "silenced" when IsWholeMonitorMute(value):
                    options.Muted = true;
                    break;
                case "on_missing_data" when value is YamlScalarNode { Value: "default" }:
                    break;
                case "on_missing_data" when value is YamlScalarNode { Value: "show_no_data" or "show_and_notify_no_data" or "resolve" } mode:
                    // Datadog: on_missing_data replaces notify_no_data.
                    options.OnMissingData = mode.Value;
                    break;
                default:
                    Warn(keyNode, field, "is not supported yet; ignored");
                    break;
            }
        }

        if (options.OnMissingData.Length > 0 && options.NotifyNoData)
        {
            Warn(node, $"{path}.notify_no_data", "is replaced by on_missing_data (as in Datadog); ignored");
            options.NotifyNoData = false;
        }

        return options;
    }

    private void ReadDatadogThresholds(YamlNode node, string path, bool serviceCheck, MonitorOptions options)
    {
        if (node is not YamlMappingNode map)
        {
            Error(node, path, "must be a mapping of critical, warning, critical_recovery, warning_recovery");
            return;
        }

        if (serviceCheck)
        {
            // Datadog counts consecutive runs here: the engine's check_thresholds.
            options.CheckThresholds = ReadCheckThresholds(node, path);
            return;
        }

        var thresholds = new Thresholds();
        foreach ((YamlNode keyNode, YamlNode value) in map.Children)
        {
            string key = (keyNode as YamlScalarNode)?.Value ?? keyNode.ToString();
            string field = $"{path}.{key}";
            _positions[field] = Position(value);
            if (IsNull(value))
            {
                continue;
            }

            switch (key)
            {
                case "critical": thresholds.Critical = Number(value, field); break;
                case "warning": thresholds.Warning = Number(value, field); break;
                case "critical_recovery": thresholds.CriticalRecovery = Number(value, field); break;
                case "warning_recovery": thresholds.WarningRecovery = Number(value, field); break;
                default:
                    Warn(keyNode, field, "is not supported yet; ignored");
                    break;
            }
        }

        options.Thresholds = thresholds;
    }

    /// <summary>
    /// An anomaly monitor's <c>threshold_windows</c>: Datadog writes the query's <c>alert_window</c>
    /// as <c>trigger_window</c>, and the window the group must stay within the bounds to recover as
    /// <c>recovery_window</c>. The engine judges recovery over the alert window (the monitor's
    /// value, at most <c>critical_recovery</c>), so both must be the query's alert window; anything
    /// else warns (an error under <c>--strict</c>).
    /// </summary>
    private void ReadDatadogThresholdWindows(YamlNode node, string path, string query)
    {
        long? alertWindowMs = Alerting.Engine.Monitors.Query.QueryParser.TryParse(query, out var parsed, out _)
            && parsed is Alerting.Engine.Monitors.Query.FormulaQuery { Anomaly: { } anomaly }
                ? anomaly.AlertWindowMs
                : null;
        if (alertWindowMs is null)
        {
            Warn(node, path, "applies to anomalies() queries only; ignored");
            return;
        }

        if (node is not YamlMappingNode map)
        {
            Error(node, path, "must be a mapping of trigger_window and recovery_window");
            return;
        }

        string alertWindow = Alerting.Engine.Monitors.Query.QueryFormatter.FormatWindow(alertWindowMs.Value);
        foreach ((YamlNode keyNode, YamlNode value) in map.Children)
        {
            string key = (keyNode as YamlScalarNode)?.Value ?? keyNode.ToString();
            string field = $"{path}.{key}";
            _positions[field] = Position(value);
            if (key is not ("trigger_window" or "recovery_window"))
            {
                Warn(keyNode, field, "is not supported yet; ignored");
                continue;
            }

            string window = String(value, field);
            bool same = Alerting.Engine.Monitors.Query.QueryParser.TryParse($"avg({window}):avg:m{{*}} > 0", out var windowQuery, out _)
                && windowQuery is Alerting.Engine.Monitors.Query.MetricQuery { CalendarWindow: false } metric
                && metric.WindowMs == alertWindowMs;
            if (!same)
            {
                Warn(value, field, $"'{window}' differs from the query's alert_window '{alertWindow}': only the alert window is supported yet; ignored");
            }
        }
    }

    /// <summary>
    /// <c>silenced: {"*": null}</c>: the whole monitor muted with no end. Scoped or timed mutes
    /// (<c>{"host:a": 1700000000}</c>) are not supported yet and warn.
    /// </summary>
    private static bool IsWholeMonitorMute(YamlNode node) =>
        node is YamlMappingNode { Children.Count: 1 } map
        && map.Children.First() is (YamlScalarNode { Value: "*" }, var end)
        && IsNull(end);

    private static bool IsNull(YamlNode node) =>
        node is YamlScalarNode { Style: ScalarStyle.Plain or ScalarStyle.Any, Value: null or "" or "null" or "~" };

    /// <summary>null, false, 0, an empty string, list or mapping: an option left at Datadog's default.</summary>
    /// <summary>A plain numeric 0 (<c>0</c>, <c>0.0</c>).</summary>
    private static bool IsZero(YamlNode node) =>
        node is YamlScalarNode { Style: ScalarStyle.Plain or ScalarStyle.Any, Value: { } text }
        && double.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var number)
        && number == 0;

    private static bool IsEmpty(YamlNode node) => node switch
    {
        YamlScalarNode { Style: ScalarStyle.Plain or ScalarStyle.Any, Value: "false" or "0" } => true,
        YamlScalarNode { Value: null or "" } => true,
        YamlScalarNode scalar => IsNull(scalar),
        YamlSequenceNode sequence => sequence.Children.Count == 0,
        YamlMappingNode mapping => mapping.Children.Count == 0,
        _ => false,
    };
}
