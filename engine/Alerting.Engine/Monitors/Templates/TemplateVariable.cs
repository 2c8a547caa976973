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
}
