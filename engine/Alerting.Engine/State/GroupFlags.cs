namespace Alerting.Engine.State;

/// <summary>Flags that qualify a group's state at the time of an event.</summary>
[Flags]
public enum GroupFlags : byte
{
    None = 0,

    /// <summary>The condition for WARN/ALERT holds but <c>for</c> has not elapsed yet.</summary>
    Pending = 1,

    /// <summary>Flap detection judged the group to be flapping; notifications are suppressed.</summary>
    Flapping = 2,

    /// <summary>A downtime covers the group; notifications are suppressed.</summary>
    Muted = 4,
}
