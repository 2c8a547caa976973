namespace Alerting.Engine.State;

/// <summary>What a monitor evaluates: metric points or check-run statuses.</summary>
public enum MonitorKind : byte
{
    Metric = 1,
    Check = 2,

    /// <summary>A boolean expression over other monitors' states (Datadog composite monitor).</summary>
    Composite = 3,
}
