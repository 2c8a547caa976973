using Alerting.Engine.State;
using Alerting.Protocol.Log;
using CsCheck;

namespace Alerting.Engine.Tests.State;

/// <summary>
/// The downtime index (by monitor, by scope tag, by group key, and the short list of downtimes that
/// select every group) against a brute-force scan of every downtime; and each downtime's next boundary
/// against a scan of its activity over time.
/// </summary>
/// <remarks>CsCheck prints the failing seed; replay it by setting the <c>CsCheck_Seed</c> environment variable.</remarks>
public sealed class DowntimeIndexTests
{
    private const long T0 = 1_800_000_000_000;
    private static readonly string[] MonitorIds = ["", "m1", "m2", "m3"];
    private static readonly string[] Tags = ["env:prod", "env:dev", "host:a", "host:b", "role:db"];
    private static readonly string[] GroupKeys = ["", "*", "host:a", "env:prod,host:a"];
    private static readonly string[] Recurrences = ["", "interval every=10s duration=3s", "weekly days=mon,fri start=00:00 duration=3d"];

    private static readonly Gen<Downtime> DowntimeGen =
        from id in Gen.Int[0, 30]
        from monitor in Gen.Int[0, MonitorIds.Length - 1]
        from scope in Gen.Int[0, Tags.Length - 1].Array[0, 3]
        from groupIndex in Gen.Int[0, GroupKeys.Length - 1]
        from start in Gen.Int[-30, 30]
        from length in Gen.Int[0, 60]
        from recurrence in Gen.Int[0, Recurrences.Length - 1]
        select new Downtime
        {
            Id = "d" + id,
            MonitorId = MonitorIds[monitor],
            Scope = { scope.Distinct().Select(i => Tags[i]) },
            Group = GroupKeys[groupIndex],
            StartUnixMs = T0 + (start * 1_000),
            EndUnixMs = length == 0 ? 0 : T0 + (start * 1_000) + (length * 1_000),
            Recurrence = Recurrences[recurrence],
        };

    private static readonly Gen<(string Monitor, string Key, string[] Tags, long Now)> GroupGen =
        from monitor in Gen.Int[1, MonitorIds.Length - 1]
        from key in Gen.Int[1, GroupKeys.Length - 1]
        from tags in Gen.Int[0, Tags.Length - 1].Array[0, 4]
        from now in Gen.Int[-40, 100]
        select (MonitorIds[monitor], GroupKeys[key], tags.Select(i => Tags[i]).ToArray(), T0 + (now * 1_000L));

    [Fact]
    public void Index_finds_exactly_the_downtimes_a_brute_force_scan_finds()
    {
        var case_ =
            from commands in Gen.Select(Gen.Int[0, 4], DowntimeGen).Array[1, 60]
            from groups in GroupGen.Array[1, 20]
            select (commands, groups);

        case_.Sample(c =>
        {
            var book = new DowntimeBook();
            var all = new SortedDictionary<string, DowntimeModel>(StringComparer.Ordinal);
            foreach (var (op, downtime) in c.commands)
            {
                if (op == 0)
                {
                    Assert.Equal(all.Remove(downtime.Id), book.Remove(downtime.Id, out _));
                }
                else
                {
                    Assert.True(book.TryUpsert(downtime, out _));
                    all[downtime.Id] = DowntimeModel.FromProto(downtime);
                }

                foreach (var (monitor, key, tags, now) in c.groups)
                {
                    var found = new List<DowntimeModel>();
                    book.CollectCovering(monitor, key, tags, now, found);
                    var expected = all.Values.Where(d => d.Covers(monitor, key, tags, now)).Select(d => d.Id).ToList();
                    Assert.Equal(expected, found.Select(d => d.Id).ToList());
                    Assert.Equal(expected.Count > 0, book.Evaluate(monitor, key, tags, now).Muted);
                }
            }
        }, iter: 1_000);
    }

    [Fact]
    public void Next_boundary_is_never_after_the_first_change_of_activity()
    {
        // Every boundary of these downtimes is a whole second (interval) or a whole minute (weekly),
        // so a scan at that step finds the first change exactly.
        var case_ =
            from weekly in Gen.Bool
            from start in Gen.Int[0, 20_000]
            from length in Gen.Int[0, 20_000]
            from every in Gen.Int[1, 300]
            from duration in Gen.Int[1, 300]
            from days in Gen.Int[1, 127]
            from startOfDay in Gen.Int[0, 1_439]
            from weeklyMinutes in Gen.Int[1, 7 * 1_440]
            from after in Gen.Int[-100, 25_000]
            select (weekly, start, length, every, duration, days, startOfDay, weeklyMinutes, after);

        case_.Sample(c =>
        {
            long step = c.weekly ? 60_000 : 1_000;
            long startMs = T0 - (T0 % step) + (c.start * step);
            string[] names = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];
            var recurrence = c.weekly
                ? $"weekly days={string.Join(',', names.Where((_, i) => (c.days & (1 << i)) != 0))} start={c.startOfDay / 60:00}:{c.startOfDay % 60:00} duration={c.weeklyMinutes}m"
                : $"interval every={Math.Max(c.every, c.duration)}s duration={c.duration}s";
            var model = DowntimeModel.FromProto(new Downtime
            {
                Id = "d",
                StartUnixMs = startMs,
                EndUnixMs = c.length == 0 ? 0 : startMs + (c.length * step),
                Recurrence = recurrence,
            });

            long afterMs = startMs + (c.after * step) + (c.after % 3 == 0 ? 0 : 7);
            long boundary = model.NextBoundaryAfter(afterMs);
            Assert.True(boundary > afterMs, $"boundary {boundary} after {afterMs}");
            bool active = model.IsActiveAt(afterMs);
            long firstChange = long.MaxValue;
            for (long t = afterMs - (afterMs % step) + step, i = 0; i < 30_000; t += step, i++)
            {
                if (model.IsActiveAt(t) != active)
                {
                    firstChange = t;
                    break;
                }
            }

            Assert.True(boundary <= firstChange, $"{recurrence} from {startMs}: next boundary after {afterMs} is {boundary}, but activity changes at {firstChange}");
            Assert.Equal(active, model.IsActiveAt(boundary - 1));
        }, iter: 3_000);
    }
}
