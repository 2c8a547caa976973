using System.Globalization;
using Alerting.Cli.Files;
using Alerting.Protocol.Log;
using Monitor = Alerting.Protocol.Log.Monitor;
using Spectre.Console;

namespace Alerting.Cli.Output;

/// <summary>A monitor as a two-column grid of its fields, options in the file format's names and units.</summary>
internal static class MonitorView
{
    public static Grid Describe(Monitor monitor)
    {
        ArgumentNullException.ThrowIfNull(monitor);
        var grid = new Grid().AddColumn().AddColumn();
        foreach ((string name, string value) in Fields(monitor))
        {
            grid.AddRow(new Text(name), new Text(value));
        }

        return grid;
    }

    /// <summary>The fields worth showing: identity, then every option that differs from its default.</summary>
    public static IEnumerable<(string Name, string Value)> Fields(Monitor monitor)
    {
        ArgumentNullException.ThrowIfNull(monitor);
        yield return ("id", monitor.Id);
        yield return ("name", monitor.Name);
        yield return ("type", monitor.Type);
        yield return ("query", monitor.Query);
        yield return ("message", monitor.Message);
        yield return ("tags", string.Join(',', monitor.Tags));
        yield return ("priority", monitor.Priority == 0 ? "-" : monitor.Priority.ToString(CultureInfo.InvariantCulture));
        MonitorOptions options = monitor.Options ?? new MonitorOptions();
        Thresholds thresholds = options.Thresholds ?? new Thresholds();
        if (thresholds.HasCritical) yield return ("critical", Render.Number(thresholds.Critical));
        if (thresholds.HasWarning) yield return ("warning", Render.Number(thresholds.Warning));
        if (thresholds.HasCriticalRecovery) yield return ("critical_recovery", Render.Number(thresholds.CriticalRecovery));
        if (thresholds.HasWarningRecovery) yield return ("warning_recovery", Render.Number(thresholds.WarningRecovery));
        if (options.EvaluationIntervalMs != 0) yield return ("evaluation_interval", DurationText.Format(options.EvaluationIntervalMs));
        if (options.OnArrival) yield return ("on_arrival", "true");
        if (options.EvaluationDelayMs != 0) yield return ("evaluation_delay", DurationText.Format(options.EvaluationDelayMs));
        if (options.HasNewGroupDelayMs) yield return ("new_group_delay", DurationText.Format(options.NewGroupDelayMs));
        if (options.RequireFullWindow) yield return ("require_full_window", "true");
        if (options.NotifyNoData) yield return ("notify_no_data", "true");
        if (options.EvaluateAsZero) yield return ("evaluate_as_zero", "true");
        if (options.NoDataTimeframeMs != 0) yield return ("no_data_timeframe", DurationText.Format(options.NoDataTimeframeMs));
        if (options.GroupRetentionMs != 0) yield return ("group_retention_duration", DurationText.Format(options.GroupRetentionMs));
        if (options.RenotifyIntervalMs != 0) yield return ("renotify_interval", DurationText.Format(options.RenotifyIntervalMs));
        if (options.RenotifyStatuses.Count != 0) yield return ("renotify_statuses", string.Join(',', options.RenotifyStatuses));
        if (options.RenotifyOccurrences != 0) yield return ("renotify_occurrences", options.RenotifyOccurrences.ToString(CultureInfo.InvariantCulture));
        if (options.EscalationMessage.Length != 0) yield return ("escalation_message", options.EscalationMessage);
        if (options.NotifyBy.Count != 0) yield return ("notify_by", string.Join(',', options.NotifyBy));
        if (options.TimeoutMs != 0) yield return ("timeout", DurationText.Format(options.TimeoutMs));
        if (options.ForMs != 0) yield return ("for", DurationText.Format(options.ForMs));
        if (options.KeepFiringForMs != 0) yield return ("keep_firing_for", DurationText.Format(options.KeepFiringForMs));
        if (options.Muted) yield return ("muted", "true");
        if (options.FlapDetection) yield return ("flap_detection", $"{Render.Number(options.FlapLowPercent)}%..{Render.Number(options.FlapHighPercent)}%");
    }
}
