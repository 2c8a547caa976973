using Alerting.Engine.State;

namespace Alerting.Engine.Tests.StateMachine.Options;

/// <summary>Compares every identifying field of an event at once, so a failure shows them all.</summary>
internal static class Expect
{
    public static void Transition(
        TransitionEvent actual,
        string monitor,
        string group,
        ulong number,
        AlertState previous,
        AlertState next,
        TransitionReason reason,
        bool notify,
        long logIndex)
    {
        Assert.Equal(
            (monitor, group, number, previous, next, reason, notify, logIndex),
            (actual.MonitorId, actual.GroupKey, actual.TransitionNumber, actual.Previous, actual.Next, actual.Reason, actual.Notify, actual.LogIndex));
    }
}
