namespace Alerting.Engine.State;

/// <summary>The states in which a group is renotified (Datadog <c>renotify_statuses</c>).</summary>
[Flags]
public enum RenotifyStatuses : byte
{
    None = 0,
    Alert = 1,
    Warn = 2,
    NoData = 4,
}
