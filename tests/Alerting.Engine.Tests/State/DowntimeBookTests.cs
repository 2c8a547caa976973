using Alerting.Engine.State;
using Alerting.Engine.Tests.StateMachine;
using Alerting.Protocol.Log;
using CsCheck;

namespace Alerting.Engine.Tests.State;

/// <summary>
/// The downtime book, indexed by monitor, against one flat <see cref="DowntimeSet"/> holding every
/// downtime (the unindexed model): after any upserts (moving a downtime between monitors
/// included) and deletes, every group reads the same mute from both.
/// </summary>
/// <remarks>CsCheck prints the failing seed; replay it by setting the <c>CsCheck_Seed</c> environment variable.</remarks>
public sealed class DowntimeBookTests
{
    private const long T0 = 1_800_000_000_000;
    private static readonly string[] Monitors = ["", "m1", "m2", "m3"];
    private static readonly string[] Groups = ["*", "host:a", "host:b"];

    [Fact]
    public void Indexed_book_mutes_exactly_as_a_flat_scan_of_every_downtime()
    {
        var command =
            from delete in Gen.Int[0, 3]
            from id in Gen.Int[0, 5]
            from monitor in Gen.Int[0, Monitors.Length - 1]
            from scoped in Gen.Bool
            from startOffset in Gen.Int[-2, 2]
            from notify in Gen.Bool
            select (Delete: delete == 0, Downtime: new Downtime
            {
                Id = "d" + id,
                MonitorId = Monitors[monitor],
                Scope = { scoped ? ["host:a"] : Array.Empty<string>() },
                StartUnixMs = T0 + (startOffset * 1_000),
                EndUnixMs = T0 + 10_000,
                NotifyEndIfAlerting = notify,
            });

        command.Array[1, 40].Sample(commands =>
        {
            var book = new DowntimeBook();
            var flat = new DowntimeSet();
            foreach (var (delete, downtime) in commands)
            {
                if (delete)
                {
                    Assert.Equal(flat.Remove(downtime.Id), book.Remove(downtime.Id, out _));
                }
                else
                {
                    Assert.True(book.TryUpsert(downtime, out _));
                    flat.Upsert(DowntimeModel.FromProto(downtime));
                }

                // The engine forgets canceled downtimes once their mute refresh is done; here, at once.
                book.ForgetCanceled();
                Assert.Equal(flat.Count, book.Count);
                foreach (var monitor in Monitors.Skip(1))
                {
                    foreach (var group in Groups)
                    {
                        string[] tags = group == "*" ? [] : [group];
                        Assert.Equal(flat.Evaluate(monitor, group, tags, T0), book.Evaluate(monitor, group, tags, T0));
                    }
                }
            }
        }, iter: 2_000);
    }

    [Fact]
    public void A_downtime_command_refreshes_only_the_monitors_it_names()
    {
        var engine = new EngineHarness();
        for (var i = 0; i < 10; i++)
        {
            engine.Upsert(EngineHarness.Metric("m" + i, "max(last_1m):max:q{*} by {host} > 10", o => o.OnArrival = true));
        }

        engine.Point("q", ["host:a"], engine.Now, 1);
        engine.Point("q", ["host:b"], engine.Now, 1);
        var monitors = engine.State.Monitors;

        var before = monitors.MuteRefreshes;
        engine.Downtime(new Downtime { Id = "d", MonitorId = "m3", StartUnixMs = engine.Now - 1, EndUnixMs = engine.Now + 60_000 });
        Assert.Equal(2, monitors.MuteRefreshes - before);

        before = monitors.MuteRefreshes;
        engine.Downtime(new Downtime { Id = "d", MonitorId = "m7", StartUnixMs = engine.Now - 1, EndUnixMs = engine.Now + 60_000 });
        Assert.Equal(4, monitors.MuteRefreshes - before);
        Assert.All(monitors.GroupStates("m3"), g => Assert.False(g.Muted));
        Assert.All(monitors.GroupStates("m7"), g => Assert.True(g.Muted));

        before = monitors.MuteRefreshes;
        engine.Downtime(new Downtime { Id = "any", Scope = { "host:a" }, StartUnixMs = engine.Now - 1, EndUnixMs = engine.Now + 60_000 });
        Assert.Equal(10, monitors.MuteRefreshes - before);
        Assert.True(monitors.GroupStates("m0")[0].Muted);
        Assert.False(monitors.GroupStates("m0")[1].Muted);

        before = monitors.MuteRefreshes;
        engine.Apply(new LogEntry { DowntimeDeleted = new DowntimeDeleted { DowntimeId = "d" } });
        Assert.Equal(2, monitors.MuteRefreshes - before);
        Assert.False(monitors.GroupStates("m7")[1].Muted);
    }

    [Fact]
    public void Deleting_a_monitors_downtime_while_it_alerts_notifies_the_end_at_once()
    {
        var engine = new EngineHarness();
        engine.Upsert(EngineHarness.Metric("m", "max(last_1m):max:q{*} > 10", o => o.OnArrival = true));
        engine.Upsert(EngineHarness.Metric("other", "max(last_1m):max:q{*} > 10", o => o.OnArrival = true));
        engine.Downtime(new Downtime { Id = "d", MonitorId = "m", StartUnixMs = engine.Now - 1, EndUnixMs = engine.Now + 60_000, NotifyEndIfAlerting = true });
        engine.Point("q", [], engine.Now, 50);
        engine.Events.Clear();

        engine.Apply(new LogEntry { DowntimeDeleted = new DowntimeDeleted { DowntimeId = "d" } });

        var end = Assert.Single(engine.Events);
        Assert.Equal(("m", TransitionReason.DowntimeEndedWhileAlerting), (end.MonitorId, end.Reason));
    }
}
