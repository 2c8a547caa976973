namespace Alerting.Engine.State;

/// <summary>The reported state of one monitor group. The numeric values are part of the snapshot format.</summary>
public enum AlertState : byte
{
    Ok = 0,
    Warn = 1,
    Alert = 2,
    NoData = 3,
}
