namespace Alerting.Engine.Pipeline;

/// <summary>What a node does in its cluster (DESIGN section 6).</summary>
public enum NodeRole
{
    /// <summary>Takes client writes, publishes <c>Tick</c> entries and sends notifications.</summary>
    Primary,

    /// <summary>
    /// A full replica: journals the primary's entries at the primary's indexes and terms
    /// (<see cref="EngineNode.TryAppendReplicated"/>) and applies them in lockstep; it refuses
    /// client writes, publishes no ticks and sends no notifications.
    /// </summary>
    Standby,

    /// <summary>Persists term, vote and the commit frontier only; it stores no data and runs no engine.</summary>
    Witness,
}
