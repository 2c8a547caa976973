using Alerting.Cli.Commands;
using Alerting.Protocol.V1;

namespace Alerting.Cli.Tests.Commands;

public sealed class TransitionCursorTests
{
    [Fact]
    public void Before_any_event_it_resumes_from_the_requested_index()
    {
        Assert.Equal(41UL, new TransitionCursor(41).ResumeFrom);
    }

    [Fact]
    public void After_a_disconnect_inside_one_log_index_the_rest_of_that_index_is_shown_once()
    {
        var cursor = new TransitionCursor(0);
        Assert.True(cursor.Accept(Event(5, "host:a", 1)));
        Assert.True(cursor.Accept(Event(7, "host:a", 2)));
        Assert.True(cursor.Accept(Event(7, "host:b", 1)));

        // The server resends index 7 in full; host:c was not received before the drop.
        Assert.Equal(6UL, cursor.ResumeFrom);
        Assert.False(cursor.Accept(Event(7, "host:a", 2)));
        Assert.False(cursor.Accept(Event(7, "host:b", 1)));
        Assert.True(cursor.Accept(Event(7, "host:c", 1)));
        Assert.True(cursor.Accept(Event(9, "host:a", 3)));
        Assert.Equal(9UL, cursor.LastIndex);
    }

    [Fact]
    public void Replayed_events_older_than_the_last_index_are_dropped()
    {
        var cursor = new TransitionCursor(0);
        Assert.True(cursor.Accept(Event(10, "g", 4)));

        Assert.False(cursor.Accept(Event(9, "g", 3)));
    }

    [Fact]
    public void Randomised_disconnects_never_lose_or_repeat_an_event()
    {
        int seed = Environment.TickCount;
        var random = new Random(seed);
        // The server's history: several events per log index, as one points batch can cause.
        var history = new List<TransitionEvent>();
        for (ulong index = 1; index <= 200; index++)
        {
            int count = random.Next(0, 4);
            for (int i = 0; i < count; i++)
            {
                history.Add(Event(index, $"host:{i}", index));
            }
        }

        var cursor = new TransitionCursor(0);
        var shown = new List<TransitionEvent>();
        while (shown.Count < history.Count)
        {
            // One subscription: everything after ResumeFrom, cut off at a random point.
            var stream = history.Where(e => e.LogIndex > cursor.ResumeFrom).ToList();
            int delivered = random.Next(1, stream.Count + 1);
            shown.AddRange(stream.Take(delivered).Where(cursor.Accept));
        }

        Assert.True(history.SequenceEqual(shown), $"seed {seed}");
    }

    private static TransitionEvent Event(ulong logIndex, string group, ulong number) =>
        new() { MonitorId = "m", GroupKey = group, TransitionNumber = number, LogIndex = logIndex };
}
