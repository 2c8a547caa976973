namespace Alerting.Engine.State;

/// <summary>How a downtime repeats.</summary>
public enum RecurrenceKind : byte
{
    /// <summary>One window: [start, end).</summary>
    None = 0,

    /// <summary>On chosen days of the week, from a UTC time of day, for a duration.</summary>
    Weekly = 1,

    /// <summary>Every fixed period counted from the downtime's start, for a duration.</summary>
    Interval = 2,
}
