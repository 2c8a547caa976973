using Alerting.Engine.State;
using Alerting.Notifications;
using Alerting.Server.Notifications;

namespace Alerting.Server.Tests.Notifications;

public sealed class CoalescingWindowTests
{
    [Fact]
    public void A_newer_event_of_a_waiting_group_takes_its_place_at_the_newer_position_listing_what_it_replaced()
    {
        var window = new CoalescingWindow(coalesce: true);
        window.Add(0, Event("host:a", 1));
        window.Add(1, Event("host:b", 1));
        window.Add(2, Event("host:a", 2));
        window.Add(3, Event("host:a", 3));

        var drained = Drain(window);

        Assert.Equal(["m/host:b/1", "m/host:a/3"], drained.Select(n => n.Id.ToString()));
        Assert.Equal(["m/host:a/1", "m/host:a/2"], drained[1].Replaces.Select(id => id.ToString()));
        Assert.Empty(drained[0].Replaces);
    }

    [Fact]
    public void With_coalescing_off_every_event_stays_in_log_order()
    {
        var window = new CoalescingWindow(coalesce: false);
        window.Add(0, Event("host:a", 1));
        window.Add(1, Event("host:b", 1));
        window.Add(2, Event("host:a", 2));

        Assert.Equal(["m/host:a/1", "m/host:b/1", "m/host:a/2"], Drain(window).Select(n => n.Id.ToString()));
    }

    [Fact]
    public void A_group_queued_out_of_the_window_starts_over_when_its_next_event_arrives()
    {
        var window = new CoalescingWindow(coalesce: true);
        window.Add(0, Event("host:a", 1));
        Assert.Single(Drain(window));

        window.Add(1, Event("host:a", 2));

        Assert.Empty(Assert.Single(Drain(window)).Replaces);
    }

    private static List<Notification> Drain(CoalescingWindow window)
    {
        var drained = new List<Notification>();
        while (window.TryPeek(out var next))
        {
            drained.Add(next);
            window.RemoveFirst();
        }

        return drained;
    }

    private static Notification Event(string group, ulong number) => new(
        new TransitionEvent("m", group, number, number % 2 == 1 ? AlertState.Ok : AlertState.Alert, number % 2 == 1 ? AlertState.Alert : AlertState.Ok, 1, 1, 0, (long)number, TransitionReason.ThresholdCrossed, GroupFlags.None, true, false),
        "m",
        [],
        "message");
}
