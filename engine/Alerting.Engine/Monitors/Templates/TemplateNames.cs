using System.Collections.Frozen;

namespace Alerting.Engine.Monitors.Templates;

/// <summary>The names a template may use, Datadog's spelling, shared by the parser and its error hints.</summary>
internal static class TemplateNames
{
    /// <summary>Suffix of a tag variable: <c>{{host.name}}</c> is the value of the group's <c>host</c> tag, as in Datadog.</summary>
    public const string TagSuffix = ".name";

    public static readonly FrozenDictionary<string, TemplateVariable> Variables = new Dictionary<string, TemplateVariable>(StringComparer.Ordinal)
    {
        ["value"] = TemplateVariable.Value,
        ["threshold"] = TemplateVariable.Threshold,
        ["warn_threshold"] = TemplateVariable.WarnThreshold,
        ["state"] = TemplateVariable.State,
        ["previous_state"] = TemplateVariable.PreviousState,
        ["monitor.name"] = TemplateVariable.MonitorName,
        ["monitor.id"] = TemplateVariable.MonitorId,
        ["group"] = TemplateVariable.Group,
        ["last_triggered_at"] = TemplateVariable.LastTriggeredAt,
        ["last_triggered_at_epoch"] = TemplateVariable.LastTriggeredAtEpoch,
        ["comparator"] = TemplateVariable.Comparator,
        ["ok_threshold"] = TemplateVariable.OkThreshold,
    }.ToFrozenDictionary(StringComparer.Ordinal);

    public static readonly FrozenDictionary<string, TemplateSection> Sections = new Dictionary<string, TemplateSection>(StringComparer.Ordinal)
    {
        ["is_alert"] = TemplateSection.IsAlert,
        ["is_warning"] = TemplateSection.IsWarning,
        ["is_no_data"] = TemplateSection.IsNoData,
        ["is_recovery"] = TemplateSection.IsRecovery,
        ["is_alert_recovery"] = TemplateSection.IsAlertRecovery,
        ["is_warning_recovery"] = TemplateSection.IsWarningRecovery,
        ["is_alert_to_warning"] = TemplateSection.IsAlertToWarning,
        ["is_no_data_recovery"] = TemplateSection.IsNoDataRecovery,
        ["is_renotify"] = TemplateSection.IsRenotify,
        ["is_muted"] = TemplateSection.IsMuted,
        ["is_match"] = TemplateSection.IsMatch,
        ["is_exact_match"] = TemplateSection.IsExactMatch,
        ["is_priority"] = TemplateSection.IsPriority,
        ["is_unknown"] = TemplateSection.IsUnknown,
    }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary><c>{{eval "expression"}}</c>: arithmetic over the numeric variables.</summary>
    public const string Eval = "eval";

    /// <summary><c>{{local_time "last_triggered_at" "Europe/Paris"}}</c>: the event time in a time zone.</summary>
    public const string LocalTime = "local_time";

    /// <summary>The only time <c>local_time</c> converts: the event time.</summary>
    public const string LocalTimeVariable = "last_triggered_at";

    public static readonly string VariableHint =
        $"variables are {string.Join(", ", Variables.Keys.Order(StringComparer.Ordinal))} and <tag>{TagSuffix}, functions {Eval} and {LocalTime}";

    public static readonly string SectionHint =
        $"sections are {string.Join(", ", Sections.Keys.Order(StringComparer.Ordinal))}";

    /// <summary>The text of a state, as Datadog writes it in notifications.</summary>
    public static string Of(State.AlertState state) => state switch
    {
        State.AlertState.Ok => "OK",
        State.AlertState.Warn => "WARN",
        State.AlertState.Alert => "ALERT",
        State.AlertState.NoData => "NO_DATA",
        _ => throw new InvariantViolationException($"alert state {(byte)state} is not one of OK, WARN, ALERT, NO_DATA"),
    };
}
