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

    /// <summary>
    /// The event is a <c>notify_by</c> key's notification (its group key is the key, e.g. <c>cluster:a</c>),
    /// not a group's transition; its other flags are those of the group whose event caused it.
    /// </summary>
    NotifyKey = 8,
}
