using Alerting.Engine.Monitors;
using Alerting.Engine.StateMachine;
using Alerting.Protocol.Log;
using Xunit.Abstractions;

namespace Alerting.Engine.Tests.StateMachine;

public sealed class ClientSessionsTests
{
    private readonly ITestOutputHelper _output;

    public ClientSessionsTests(ITestOutputHelper output)
    {
        _output = output;
    }

    [Fact]
    public void Replaying_the_same_batch_applies_it_once_and_answers_with_the_original_ack()
    {
        var engine = new EngineHarness();
        var batch = Points("writer-a", 1, engine.Now, stale: 1);

        var first = engine.Answer(batch);
        var firstIndex = engine.LastIndex;
        engine.Tick(engine.Now + 100);
        var retry = engine.Answer(batch.Clone());

        Assert.NotNull(first.Client);
        Assert.False(first.Client.Duplicate);
        Assert.Equal(firstIndex, first.Client.LogIndex);
        Assert.Equal(2, first.Client.Accepted);
        Assert.Equal(1, first.Client.Rejected[(int)RejectReason.TooOld]);

        Assert.NotNull(retry.Client);
        Assert.True(retry.Client.Duplicate);
        Assert.Equal(first.Client with { Duplicate = true, Rejected = retry.Client.Rejected }, retry.Client);
        Assert.Equal(first.Client.Rejected, retry.Client.Rejected);
        Assert.Empty(retry.Rejected);
        Assert.Equal(2, engine.State.Counters.PointsAccepted);
        Assert.Equal(1, engine.State.Clients.Duplicates);
    }

    [Fact]
    public void Without_a_client_id_the_same_batch_is_applied_every_time()
    {
        var engine = new EngineHarness();
        var batch = Points(null, 0, engine.Now, stale: 0);

        var first = engine.Answer(batch);
        var second = engine.Answer(batch.Clone());

        Assert.Null(first.Client);
        Assert.Null(second.Client);
        Assert.Equal(4, engine.State.Counters.PointsAccepted);
        Assert.Equal(0, engine.State.Clients.Count);
    }

    [Fact]
    public void A_retry_that_finds_only_the_points_applied_applies_the_check_runs_and_acks_both()
    {
        var engine = new EngineHarness();
        var points = Points("writer-a", 7, engine.Now, stale: 0, parts: 2);
        var runs = CheckRuns("writer-a", 7, engine.Now, part: 1, parts: 2);

        // First attempt: the points reached the log, the check runs did not (ring full).
        var pointsOnly = engine.Answer(points);
        Assert.Equal(2, pointsOnly.Client!.Accepted);

        // The retry sends both again.
        var pointsAgain = engine.Answer(points.Clone());
        var runsNow = engine.Answer(runs);

        Assert.True(pointsAgain.Client!.Duplicate);
        Assert.False(runsNow.Client!.Duplicate);
        Assert.Equal(3, runsNow.Client.Accepted);
        Assert.Equal(engine.LastIndex, runsNow.Client.LogIndex);
        Assert.Equal(2, engine.State.Counters.PointsAccepted);
        Assert.Equal(1, engine.State.Counters.CheckRunsAccepted);

        // A third attempt is all duplicate and repeats the full ack.
        engine.Answer(points.Clone());
        var last = engine.Answer(runs.Clone());
        Assert.Equal(runsNow.Client with { Duplicate = true, Rejected = last.Client!.Rejected }, last.Client);
        Assert.Equal(1, engine.State.Counters.CheckRunsAccepted);
    }

    [Fact]
    public void A_sequence_below_the_last_applied_is_a_duplicate_and_a_gap_is_accepted()
    {
        var engine = new EngineHarness();
        engine.Answer(Points("writer-a", 1, engine.Now, stale: 0));
        var skipped = engine.Answer(Points("writer-a", 5, engine.Now, stale: 0));
        var late = engine.Answer(Points("writer-a", 3, engine.Now, stale: 0));

        Assert.False(skipped.Client!.Duplicate);
        Assert.Equal(5UL, skipped.Client.Sequence);
        Assert.True(late.Client!.Duplicate);
        Assert.Equal(skipped.Client.LogIndex, late.Client.LogIndex);
        Assert.Equal(4, engine.State.Counters.PointsAccepted);
    }

    [Fact]
    public void At_the_cap_a_new_client_evicts_the_least_recently_written_one()
    {
        var engine = new EngineHarness(new IngestLimits { MaxClientSessions = 3 });
        engine.Answer(Points("a", 1, engine.Now, stale: 0));
        engine.Answer(Points("b", 1, engine.Now, stale: 0));
        engine.Answer(Points("c", 1, engine.Now, stale: 0));
        engine.Answer(Points("a", 2, engine.Now, stale: 0));
        Assert.Equal(["b", "c", "a"], engine.State.Clients.InEvictionOrder());

        engine.Answer(Points("d", 1, engine.Now, stale: 0));

        Assert.Equal(["c", "a", "d"], engine.State.Clients.InEvictionOrder());
        Assert.Equal(1, engine.State.Clients.Evicted);
        Assert.Null(engine.State.Clients.Find("b"));

        // b is forgotten: its old batch is applied again (the documented limit of the window).
        var again = engine.Answer(Points("b", 1, engine.Now, stale: 0));
        Assert.False(again.Client!.Duplicate);
        Assert.Equal(12, engine.State.Counters.PointsAccepted);
    }

    [Fact]
    public void A_client_silent_for_the_expiry_in_logical_time_is_forgotten()
    {
        var expiryMs = 60_000;
        var engine = new EngineHarness(new IngestLimits { ClientSessionExpiryMs = expiryMs });
        engine.Answer(Points("quiet", 1, engine.Now, stale: 0));
        engine.Tick(engine.Now + 1_000);
        engine.Answer(Points("busy", 1, engine.Now, stale: 0));

        engine.Tick(EngineHarness.Start + expiryMs - 1);
        Assert.Equal(2, engine.State.Clients.Count);

        engine.Tick(EngineHarness.Start + expiryMs);
        Assert.Null(engine.State.Clients.Find("quiet"));
        Assert.NotNull(engine.State.Clients.Find("busy"));
        Assert.Equal(1, engine.State.Clients.Expired);
    }

    [Fact]
    public void Expiry_drops_a_bounded_number_of_sessions_per_entry()
    {
        var engine = new EngineHarness(new IngestLimits { ClientSessionExpiryMs = 1_000 });
        var clients = ClientSessions.MaxExpiriesPerEntry * 2 + 5;
        for (var i = 0; i < clients; i++)
        {
            engine.Answer(Points($"c{i}", 1, engine.Now, stale: 0));
        }

        engine.Tick(engine.Now + 1_000);
        Assert.Equal(clients - ClientSessions.MaxExpiriesPerEntry, engine.State.Clients.Count);
        engine.Tick(engine.Now + 100);
        engine.Tick(engine.Now + 100);
        Assert.Equal(0, engine.State.Clients.Count);
        Assert.Equal(clients, engine.State.Clients.Expired);
    }

    [Fact]
    public void Random_client_logs_match_a_model_and_survive_a_restart_from_snapshot_or_replay()
    {
        var seed = Environment.GetEnvironmentVariable("CLIENT_SESSIONS_SEED") is { } text ? int.Parse(text, System.Globalization.CultureInfo.InvariantCulture) : 8_2026;
        _output.WriteLine($"seed {seed} (replay with CLIENT_SESSIONS_SEED={seed})");
        var random = new Random(seed);
        for (var trial = 0; trial < 30; trial++)
        {
            var limits = new IngestLimits { MaxClientSessions = random.Next(1, 6), ClientSessionExpiryMs = random.Next(1, 5) * 1_000 };
            var log = ClientLog(random, 300);
            var cut = random.Next(1, log.Count);

            var straight = new LogApplier(new EngineState(limits));
            var acks = ApplyAll(straight, log, 1);
            CheckAgainstModel(log, acks, limits, $"seed {seed}, trial {trial}");

            // Restart from a snapshot at the cut, then the suffix.
            var prefix = new LogApplier(new EngineState(limits));
            var restartAcks = ApplyAll(prefix, log.Take(cut), 1);
            var restored = new LogApplier(Restore(Snapshot.Bytes(prefix.State), limits));
            restartAcks.AddRange(ApplyAll(restored, log.Skip(cut), cut + 1));

            // Journal replay: a fresh state applying the same log from the start.
            var replayed = new LogApplier(new EngineState(limits));
            var replayAcks = ApplyAll(replayed, log, 1);

            var expected = Snapshot.Bytes(straight.State);
            Assert.True(expected.AsSpan().SequenceEqual(Snapshot.Bytes(restored.State)), $"seed {seed}, trial {trial}, cut at {cut}: snapshot after restart");
            Assert.True(expected.AsSpan().SequenceEqual(Snapshot.Bytes(replayed.State)), $"seed {seed}, trial {trial}: snapshot after replay");
            Assert.Equal(Describe(acks), Describe(restartAcks));
            Assert.Equal(Describe(acks), Describe(replayAcks));
        }
    }

    [Fact]
    public void A_version_6_snapshot_reads_with_no_client_sessions()
    {
        var engine = new EngineHarness();
        engine.Answer(Points("writer-a", 1, engine.Now, stale: 0));
        var bytes = Snapshot.Bytes(engine.State);

        // Version 6 is today's layout without the pending-match count and the idle mute refresh
        // (18 bytes) that end the monitor section (versions 8 and 10), without the sessions at the
        // end (version 7), without the series' metric type (version 9) and without the series'
        // left-groups mark (version 12).
        static int Length(Action<BinaryWriter> write)
        {
            using var stream = new MemoryStream();
            using (var writer = new BinaryWriter(stream))
            {
                write(writer);
            }

            return stream.ToArray().Length;
        }

        const int header = 6 * 8;
        var monitorsEnd = header + Length(engine.State.Monitors.WriteTo) - Snapshot.NoFuturePoints;
        bytes = Snapshot.WithoutFuturePoints(engine.State, bytes);
        var sessionsLength = Length(engine.State.Clients.WriteTo);
        const int idleMuteRefresh = 18;
        Assert.Equal(0, BitConverter.ToInt32(bytes, monitorsEnd - idleMuteRefresh - 4));
        var version10 = Snapshot.WithoutLeftGroupsMark([.. bytes[..(monitorsEnd - idleMuteRefresh - 4)], .. bytes[monitorsEnd..^sessionsLength]], "cpu", "host:a");
        var old = Snapshot.WithoutSeriesType(version10, "cpu", "host:a");
        BitConverter.TryWriteBytes(old.AsSpan(0, 8), 6UL);
        var restored = Snapshot.Restore(old);

        Assert.Equal(0, restored.Clients.Count);
        Assert.Equal(engine.State.AppliedIndex, restored.AppliedIndex);
    }

    private static LogEntry Points(string? client, ulong sequence, long nowMs, int stale, uint part = 0, uint parts = 1)
    {
        var series = new SeriesPoints { Metric = "cpu", Tags = { "host:a" } };
        series.UnixMs.Add(nowMs - 10);
        series.Values.Add(1);
        series.UnixMs.Add(nowMs);
        series.Values.Add(2);
        for (var i = 0; i < stale; i++)
        {
            series.UnixMs.Add(nowMs - IngestLimits.DefaultMaxPointAgeMs - 1_000 - i);
            series.Values.Add(3);
        }

        var batch = new PointsBatch { Series = { series } };
        if (client is not null)
        {
            batch.Client = new ClientBatch { ClientId = client, Sequence = sequence, Part = part, Parts = parts };
        }

        return new LogEntry { Points = batch };
    }

    private static LogEntry CheckRuns(string client, ulong sequence, long nowMs, uint part, uint parts) => new()
    {
        CheckRuns = new CheckRunsBatch
        {
            Runs = { new CheckRun { Check = "db.up", Tags = { "host:a" }, UnixMs = nowMs, Status = CheckStatus.Ok } },
            Client = new ClientBatch { ClientId = client, Sequence = sequence, Part = part, Parts = parts },
        },
    };

    /// <summary>Ticks and single-part client batches from four clients: new sequences, retries of old ones, and gaps.</summary>
    private static List<LogEntry> ClientLog(Random random, int count)
    {
        var log = new List<LogEntry>();
        var now = EngineHarness.Start;
        var sequences = new ulong[4];
        log.Add(RandomLog.Tick(now));
        while (log.Count < count)
        {
            var roll = random.Next(10);
            if (roll < 2)
            {
                now += random.Next(1, 3_000);
                log.Add(RandomLog.Tick(now));
                continue;
            }

            var client = random.Next(sequences.Length);
            var sequence = roll < 4 && sequences[client] > 0
                ? (ulong)random.NextInt64(1, (long)sequences[client] + 1)
                : sequences[client] += (ulong)random.Next(1, 3);
            log.Add(Points($"client-{client}", sequence, now, stale: random.Next(2)));
        }

        return log;
    }

    private static List<ApplyResult> ApplyAll(LogApplier applier, IEnumerable<LogEntry> log, long firstIndex)
    {
        var results = new List<ApplyResult>();
        var index = firstIndex;
        foreach (var entry in log)
        {
            results.Add(applier.Apply(index++, 1, entry));
        }

        return results;
    }

    /// <summary>
    /// The naive model: sessions in a list, newest last; a duplicate is a sequence at or below the
    /// remembered one; the cap drops the list's head; expiry drops every session silent too long.
    /// </summary>
    private static void CheckAgainstModel(List<LogEntry> log, List<ApplyResult> results, IngestLimits limits, string context)
    {
        var sessions = new List<(string Id, ulong Sequence, long LogIndex, long Accepted, long LastMs)>();
        var now = 0L;
        for (var i = 0; i < log.Count; i++)
        {
            var index = i + 1;
            var entry = log[i];
            if (entry.BodyCase == LogEntry.BodyOneofCase.Tick)
            {
                now = Math.Max(now, entry.Tick.UnixMs);
                sessions.RemoveAll(s => now - s.LastMs >= limits.ClientSessionExpiryMs);
                continue;
            }

            var client = entry.Points.Client;
            sessions.RemoveAll(s => now - s.LastMs >= limits.ClientSessionExpiryMs);
            var at = sessions.FindIndex(s => s.Id == client.ClientId);
            var ack = results[i].Client!;
            if (at >= 0 && client.Sequence <= sessions[at].Sequence)
            {
                var old = sessions[at];
                Assert.True(ack.Duplicate, $"{context}: entry {index} repeats sequence {client.Sequence} of {client.ClientId}");
                Assert.Equal((old.Sequence, old.LogIndex, old.Accepted), (ack.Sequence, ack.LogIndex, ack.Accepted));
                sessions.RemoveAt(at);
                sessions.Add(old with { LastMs = now });
                continue;
            }

            Assert.False(ack.Duplicate, $"{context}: entry {index} is new for {client.ClientId}");
            var accepted = client.Sequence > 0 ? 2L : 0L;
            Assert.Equal((client.Sequence, (long)index, accepted), (ack.Sequence, ack.LogIndex, ack.Accepted));
            if (at >= 0)
            {
                sessions.RemoveAt(at);
            }
            else if (sessions.Count == limits.MaxClientSessions)
            {
                sessions.RemoveAt(0);
            }

            sessions.Add((client.ClientId, client.Sequence, index, accepted, now));
        }
    }

    private static EngineState Restore(byte[] bytes, IngestLimits limits)
    {
        using var reader = new BinaryReader(new MemoryStream(bytes));
        return EngineState.ReadFrom(reader, limits);
    }

    private static List<string> Describe(List<ApplyResult> results) =>
        results.ConvertAll(r => r.Client is { } c ? $"{c.Sequence}@{c.LogIndex} t{c.Term} +{c.Accepted} -{string.Join(',', c.Rejected)} dup={c.Duplicate}" : "-");
}
