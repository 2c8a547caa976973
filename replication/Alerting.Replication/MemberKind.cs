namespace Alerting.Replication;

/// <summary>What a voting member stores.</summary>
public enum MemberKind
{
    /// <summary>Journals every entry and runs the state machine; may become primary.</summary>
    Data,

    /// <summary>Stores term, vote and the (index, term) frontier it acknowledged; never holds entries, never leads.</summary>
    Witness,
}
