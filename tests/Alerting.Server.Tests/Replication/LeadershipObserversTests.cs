using Alerting.Server.Replication;

namespace Alerting.Server.Tests.Replication;

public sealed class LeadershipObserversTests
{
    [Fact]
    public void An_observer_that_throws_is_recorded_and_logged_and_the_others_are_still_told()
    {
        var log = new List<string>();
        var observers = new LeadershipObservers(log.Add);
        var before = new Recording();
        var after = new Recording();
        observers.Add(before);
        observers.Add(new Throwing());
        observers.Add(after);

        observers.PrimaryReady(4);
        observers.PrimaryLost(4);

        Assert.Equal(["ready 4", "lost 4"], before.Calls);
        Assert.Equal(["ready 4", "lost 4"], after.Calls);
        Assert.Equal(2, observers.Faults);
        Assert.Contains("Throwing.PrimaryLost(4) threw InvalidOperationException: observer broke in term 4", observers.LastFault, StringComparison.Ordinal);
        Assert.Equal(2, log.Count);
        Assert.All(log, line => Assert.Contains("a leadership observer failed", line, StringComparison.Ordinal));
    }

    [Fact]
    public void A_log_that_throws_too_does_not_escape()
    {
        var observers = new LeadershipObservers(_ => throw new IOException("log closed"));
        observers.Add(new Throwing());
        observers.PrimaryLost(7);
        Assert.Equal(1, observers.Faults);
    }

    private sealed class Recording : ILeadershipObserver
    {
        public List<string> Calls { get; } = [];

        public void PrimaryReady(long term) => Calls.Add($"ready {term}");

        public void PrimaryLost(long term) => Calls.Add($"lost {term}");
    }

    private sealed class Throwing : ILeadershipObserver
    {
        public void PrimaryReady(long term) => throw new InvalidOperationException($"observer broke in term {term}");

        public void PrimaryLost(long term) => throw new InvalidOperationException($"observer broke in term {term}");
    }
}
