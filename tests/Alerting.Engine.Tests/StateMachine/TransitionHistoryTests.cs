using Alerting.Engine.State;
using Alerting.Engine.StateMachine;

namespace Alerting.Engine.Tests.StateMachine;

public sealed class TransitionHistoryTests
{
    [Fact]
    public void Copy_after_an_index_returns_exactly_the_later_events_in_order()
    {
        var history = new TransitionHistory(capacity: 8);
        history.Append([Event(1, 3), Event(2, 5)], Messages([Event(1, 3), Event(2, 5)]), term: 1);
        history.Append([Event(3, 5), Event(4, 9)], Messages([Event(3, 5), Event(4, 9)]), term: 2);

        var copied = new List<TransitionHistory.HistoryItem>();
        _ = history.CopyAfter(5, null, copied, max: 10);

        Assert.Equal([(4UL, 9L, 2UL)], copied.Select(c => (c.Event.TransitionNumber, c.Event.LogIndex, c.Term)));
    }

    [Fact]
    public void A_full_history_drops_the_oldest_and_says_from_where_it_remembers()
    {
        var history = new TransitionHistory(capacity: 3);
        for (var i = 1; i <= 5; i++)
        {
            history.Append([Event((ulong)i, i * 10)], Messages([Event((ulong)i, i * 10)]), term: 1);
        }

        var copied = new List<TransitionHistory.HistoryItem>();
        _ = history.CopyAfter(0, null, copied, max: 10);

        Assert.Equal([30L, 40L, 50L], copied.Select(c => c.Event.LogIndex));
        Assert.Equal(30, history.ForgottenBeforeIndex);
        Assert.Equal(50, history.NewestIndex);
    }

    [Fact]
    public async Task A_waiting_reader_wakes_when_events_are_appended()
    {
        var history = new TransitionHistory();
        var copied = new List<TransitionHistory.HistoryItem>();
        var more = history.CopyAfter(0, null, copied, max: 10);
        Assert.Empty(copied);
        Assert.False(more.IsCompleted);

        history.Append([Event(1, 7)], Messages([Event(1, 7)]), term: 1);

        await more;
        _ = history.CopyAfter(0, null, copied, max: 10);
        Assert.Single(copied);
    }

    private static string[] Messages(TransitionEvent[] events) => [.. events.Select(e => $"message {e.TransitionNumber}")];

    private static TransitionEvent Event(ulong number, long index) =>
        new("m", "*", number, AlertState.Ok, AlertState.Alert, 1, 1, 0, index, TransitionReason.ThresholdCrossed, GroupFlags.None, true, false);
}
