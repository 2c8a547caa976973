using Alerting.Engine.StateMachine;
using Microsoft.Extensions.Time.Testing;

namespace Alerting.Engine.Tests.StateMachine;

public sealed class TickClockTests
{
    [Fact]
    public void Publishes_one_tick_per_period_with_the_time_provider_time()
    {
        var time = new FakeTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(1_000_000));
        var published = new List<long>();
        using var clock = new TickClock(time, TimeSpan.FromMilliseconds(100), ms => { published.Add(ms); return true; });
        clock.Start();

        for (var i = 0; i < 10; i++)
        {
            time.Advance(TimeSpan.FromMilliseconds(100));
        }

        Assert.Equal(Enumerable.Range(1, 10).Select(i => 1_000_000L + (i * 100)), published);
        Assert.Equal(10, clock.TicksPublished);
    }

    [Fact]
    public void A_refused_tick_is_counted_and_the_next_one_carries_the_later_time()
    {
        var time = new FakeTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(0));
        var published = new List<long>();
        var refuse = true;
        using var clock = new TickClock(time, TimeSpan.FromMilliseconds(100), ms =>
        {
            if (refuse)
            {
                return false;
            }

            published.Add(ms);
            return true;
        });
        clock.Start();

        time.Advance(TimeSpan.FromMilliseconds(100));
        refuse = false;
        time.Advance(TimeSpan.FromMilliseconds(100));

        Assert.Equal(1, clock.TicksRefused);
        Assert.Equal([200L], published);
    }

    [Fact]
    public void A_wall_clock_step_backwards_never_publishes_an_earlier_time()
    {
        var time = new FakeTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(10_000));
        var published = new List<long>();
        using var clock = new TickClock(time, TimeSpan.FromMilliseconds(100), ms => { published.Add(ms); return true; });
        clock.Start();

        time.Advance(TimeSpan.FromMilliseconds(100));
        time.AdjustTime(DateTimeOffset.FromUnixTimeMilliseconds(5_000));
        time.Advance(TimeSpan.FromMilliseconds(100));

        Assert.Equal([10_100L, 10_100L], published);
    }

    [Fact]
    public void Stopped_clock_publishes_nothing()
    {
        var time = new FakeTimeProvider();
        var count = 0;
        using var clock = new TickClock(time, TimeSpan.FromMilliseconds(100), _ => { count++; return true; });
        clock.Start();
        clock.Stop();

        time.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal(0, count);
    }
}
