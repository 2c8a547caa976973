namespace Alerting.Engine.Monitors.Templates;

/// <summary>The built-in variables, Datadog's names; tag variables (<c>{{&lt;key&gt;.name}}</c>) are a node kind of their own.</summary>
internal enum TemplateVariable : byte
{
    Value,
    Threshold,
    WarnThreshold,
    State,
    PreviousState,
    MonitorName,
    MonitorId,
    Group,
    LastTriggeredAt,
    LastTriggeredAtEpoch,

    /// <summary><c>{{comparator}}</c>: the query's comparator as written (<c>&gt;</c>, <c>&gt;=</c>, …).</summary>
    Comparator,

    /// <summary><c>{{ok_threshold}}</c>: the critical recovery threshold (check monitors: the OK run count).</summary>
    OkThreshold,
}
