namespace Alerting.Engine.StateMachine;

/// <summary>
/// Where a paged read of group states resumes: a monitor slot and, inside it, the group key after
/// which to continue (null: from the slot's first group).
/// </summary>
public readonly record struct ListPosition(int Slot, string? AfterKey);
