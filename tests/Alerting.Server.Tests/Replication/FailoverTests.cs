using System.Globalization;
using Alerting.Protocol.Log;
using Alerting.Protocol.V1;
using Alerting.Server.Api;
using Grpc.Core;
using Xunit.Abstractions;

namespace Alerting.Server.Tests.Replication;

/// <summary>
/// Three real server processes on loopback (data 1, data 2, witness 3): the primary is killed
/// with SIGKILL while clients write; the standby takes over, writes continue, and every
/// acknowledged point is found in the state the new primary serves. Each point is one host's
/// only sample, so the monitor's group for that host exists exactly when the point was applied,
/// and its state (ALERT above 90, else OK) says which value it saw: that is the model.
/// </summary>
public sealed class FailoverTests(ITestOutputHelper output)
{
    /// <summary>Kill/restart trials in CI; <c>ALERTING_FAILOVER_TRIALS</c> runs more (20 for the issue's bar).</summary>
    private const int DefaultTrials = 5;

    private const int BatchesPerPhase = 15;

    private const string Query = "max(last_1h):max:cpu{*} by {host} > 90";

    [Fact]
    public async Task Killing_the_primary_promotes_the_standby_and_every_acknowledged_write_survives()
    {
        await using var cluster = await LocalCluster.StartAsync();
        using var timeout = new CancellationTokenSource(LocalCluster.Patience * 3);
        var ct = timeout.Token;
        var model = new WriteModel();
        try
        {
            var primary = await cluster.WaitForPrimaryAsync(ct);
            var monitorId = await CreateMonitorAsync(cluster, primary, ct);
            primary = await WriteAsync(cluster, primary, model, "before", ct);
            await model.AssertStateAsync(cluster, primary, monitorId, ct);
            var historyBefore = await HistoryAsync(cluster, primary, monitorId, ct);
            Assert.Contains(historyBefore, e => e.NewState == "ALERT");

            var standby = 3 - primary;
            await WaitForStandbyToHoldAsync(cluster, primary, standby, ct);
            await cluster.KillAsync(primary);
            var promoted = await cluster.WaitForPrimaryAsync(ct, not: primary);
            Assert.Equal(standby, promoted);

            promoted = await WriteAsync(cluster, promoted, model, "after", ct);
            await model.AssertStateAsync(cluster, promoted, monitorId, ct);
            var historyAfter = await HistoryAsync(cluster, promoted, monitorId, ct);
            AssertSameTransitions(historyBefore, historyAfter);
            var status = await cluster.Cluster(promoted).StatusAsync(new StatusRequest(), cancellationToken: ct);
            Assert.Equal("replicated", status.Durability);
            Assert.True(status.Term >= 2, $"the promoted node leads a later term, got {status.Term}");
        }
        catch (Exception) when (!Describe(cluster))
        {
            throw;
        }
    }

    [Fact]
    public async Task Repeated_kill_and_restart_of_the_primary_loses_no_acknowledged_write_and_the_killed_node_rejoins()
    {
        var trials = int.TryParse(Environment.GetEnvironmentVariable("ALERTING_FAILOVER_TRIALS"), CultureInfo.InvariantCulture, out var n) ? n : DefaultTrials;
        await using var cluster = await LocalCluster.StartAsync();
        using var timeout = new CancellationTokenSource(LocalCluster.Patience * (2 + trials));
        var ct = timeout.Token;
        var model = new WriteModel();
        try
        {
            var primary = await cluster.WaitForPrimaryAsync(ct);
            var monitorId = await CreateMonitorAsync(cluster, primary, ct);
            var history = new List<TransitionEvent>();
            for (var trial = 0; trial < trials; trial++)
            {
                primary = await WriteAsync(cluster, primary, model, $"t{trial}-", ct);
                history = await HistoryAsync(cluster, primary, monitorId, ct);
                var standby = 3 - primary;
                await WaitForStandbyToHoldAsync(cluster, primary, standby, ct);

                var killedAt = System.Diagnostics.Stopwatch.StartNew();
                await cluster.KillAsync(primary);
                var promoted = await cluster.WaitForPrimaryAsync(ct, not: primary);
                primary = await WriteAsync(cluster, promoted, model, $"t{trial}+", ct, batches: 1);
                output.WriteLine($"trial {trial}: node {promoted} took over; first acknowledged write {killedAt.Elapsed.TotalMilliseconds:F0} ms after the kill");

                await cluster.StartNodeAsync(3 - promoted);
                var leader = await cluster.Cluster(primary).StatusAsync(new StatusRequest(), cancellationToken: ct);
                var rejoined = await cluster.WaitForCaughtUpAsync(3 - promoted, leader.CommitIndex, ct);
                Assert.NotEmpty(rejoined.PrimaryId);
                output.WriteLine($"trial {trial}: node {3 - promoted} rejoined{(cluster.Process(3 - promoted).RecentOutput.Contains("conflicts with the primary's log", StringComparison.Ordinal) ? " after resynchronising its diverged journal" : " keeping its journal")}");

                await model.AssertStateAsync(cluster, primary, monitorId, ct);
                var now = await HistoryAsync(cluster, primary, monitorId, ct);
                AssertSameTransitions(history, now);
                history = now;
            }

            // The rejoined standby applies the same entries: it serves the same groups and transitions.
            var last = await cluster.Cluster(primary).StatusAsync(new StatusRequest(), cancellationToken: ct);
            await cluster.WaitForCaughtUpAsync(3 - primary, last.AppliedIndex, ct);
            await model.AssertStateAsync(cluster, 3 - primary, monitorId, ct);
            AssertSameTransitions(history, await HistoryAsync(cluster, 3 - primary, monitorId, ct));
        }
        catch (Exception) when (!Describe(cluster))
        {
            throw;
        }
    }

    [Fact]
    public async Task A_paused_primary_acknowledges_nothing_after_it_wakes_in_a_stale_term_and_rejoins_as_standby()
    {
        await using var cluster = await LocalCluster.StartAsync();
        using var timeout = new CancellationTokenSource(LocalCluster.Patience * 3);
        var ct = timeout.Token;
        var model = new WriteModel();
        try
        {
            var stale = await cluster.WaitForPrimaryAsync(ct);
            var monitorId = await CreateMonitorAsync(cluster, stale, ct);
            stale = await WriteAsync(cluster, stale, model, "before", ct);
            var standby = 3 - stale;
            await WaitForStandbyToHoldAsync(cluster, stale, standby, ct);

            cluster.Process(stale).Pause();
            // Sent while it sleeps: it reads this write only after waking, still thinking it leads.
            model.Attempted["stale"] = 95;
            var staleWrite = cluster.Ingest(stale).WriteBatchAsync(Samples.Cpu("stale", 95), cancellationToken: ct).ResponseAsync;
            var promoted = await cluster.WaitForPrimaryAsync(ct, not: stale);
            Assert.Equal(standby, promoted);
            promoted = await WriteAsync(cluster, promoted, model, "during", ct);
            cluster.Process(stale).Continue();

            var refused = await Assert.ThrowsAsync<RpcException>(() => staleWrite);
            Assert.Equal(StatusCode.Unavailable, refused.StatusCode);
            var leader = await cluster.Cluster(promoted).StatusAsync(new StatusRequest(), cancellationToken: ct);
            var rejoined = await cluster.WaitForCaughtUpAsync(stale, leader.CommitIndex, ct);
            // Under load a check-quorum step-down may start a later term meanwhile; never an earlier one.
            Assert.True(rejoined.Term >= leader.Term, $"the rejoined node is in term {rejoined.Term}, the primary was in {leader.Term}");
            output.WriteLine(cluster.Process(stale).RecentOutput);

            promoted = await WriteAsync(cluster, promoted, model, "after", ct);
            var last = await cluster.Cluster(promoted).StatusAsync(new StatusRequest(), cancellationToken: ct);
            await cluster.WaitForCaughtUpAsync(stale, last.CommitIndex, ct);
            await model.AssertStateAsync(cluster, promoted, monitorId, ct);
            await model.AssertStateAsync(cluster, stale, monitorId, ct);
            AssertSameTransitions(await HistoryAsync(cluster, promoted, monitorId, ct), await HistoryAsync(cluster, stale, monitorId, ct));
        }
        catch (Exception) when (!Describe(cluster))
        {
            throw;
        }
        finally
        {
            foreach (var id in new[] { 1, 2 })
            {
                cluster.TryContinue(id);
            }
        }
    }

    [Fact]
    public async Task A_standby_whose_data_folder_was_wiped_rejoins_and_catches_up_from_the_primary_while_writes_continue()
    {
        await using var cluster = await LocalCluster.StartAsync();
        using var timeout = new CancellationTokenSource(LocalCluster.Patience * 3);
        var ct = timeout.Token;
        var model = new WriteModel();
        try
        {
            var primary = await cluster.WaitForPrimaryAsync(ct);
            var monitorId = await CreateMonitorAsync(cluster, primary, ct);
            primary = await WriteAsync(cluster, primary, model, "before", ct);
            var standby = 3 - primary;

            await cluster.KillAsync(standby);
            // With the standby down the primary commits with the witness.
            primary = await WriteAsync(cluster, primary, model, "down", ct);
            Directory.Delete(cluster.DataDirectory(standby), recursive: true);
            await cluster.StartNodeAsync(standby);
            primary = await WriteAsync(cluster, primary, model, "after", ct);

            var leader = await cluster.Cluster(primary).StatusAsync(new StatusRequest(), cancellationToken: ct);
            await cluster.WaitForCaughtUpAsync(standby, leader.CommitIndex, ct);
            await model.AssertStateAsync(cluster, standby, monitorId, ct);
            AssertSameTransitions(await HistoryAsync(cluster, primary, monitorId, ct), await HistoryAsync(cluster, standby, monitorId, ct));
        }
        catch (Exception) when (!Describe(cluster))
        {
            throw;
        }
    }

    [Fact]
    public async Task A_wiped_standby_behind_the_primarys_compacted_log_catches_up_by_snapshot_transfer_and_takes_over_losing_no_write()
    {
        // Small limits so a few hundred writes pass the compaction point: the primary keeps 100 entries
        // below its applied index and snapshots (truncating its journal) every 200.
        await using var cluster = await LocalCluster.StartAsync("--RetainedEntries", "100", "--SnapshotEveryEntries", "200");
        using var timeout = new CancellationTokenSource(LocalCluster.Patience * 3);
        var ct = timeout.Token;
        var model = new WriteModel();
        try
        {
            var primary = await cluster.WaitForPrimaryAsync(ct);
            var monitorId = await CreateMonitorAsync(cluster, primary, ct);
            primary = await WriteAsync(cluster, primary, model, "before", ct);
            var standby = 3 - primary;

            await cluster.KillAsync(standby);
            primary = await WriteAsync(cluster, primary, model, "down", ct, batches: 400);
            var compacted = await cluster.Cluster(primary).StatusAsync(new StatusRequest(), cancellationToken: ct);
            Assert.True(compacted.AppliedIndex > 300, $"the primary applied {compacted.AppliedIndex}, so entries 1..{compacted.AppliedIndex - 100} are gone from its log");

            Directory.Delete(cluster.DataDirectory(standby), recursive: true);
            await cluster.StartNodeAsync(standby);
            primary = await WriteAsync(cluster, primary, model, "after", ct);

            // The standby rejoined through a snapshot: the install set its (empty) first journal aside.
            var leader = await cluster.Cluster(primary).StatusAsync(new StatusRequest(), cancellationToken: ct);
            var caughtUp = await cluster.WaitForCaughtUpAsync(standby, leader.CommitIndex, ct);
            Assert.NotEmpty(Directory.GetDirectories(cluster.DataDirectory(standby), "discarded-*-before-snapshot"));
            foreach (var line in cluster.Process(standby).RecentOutput.Split(Environment.NewLine).Where(l => l.Contains("snapshot", StringComparison.Ordinal)))
            {
                output.WriteLine($"node {standby}: {line}");
            }

            // A starved loop may have cost the primary its term meanwhile (check-quorum); never an older one.
            Assert.True(caughtUp.Term >= leader.Term, $"caught up in term {caughtUp.Term}, before the leader's term {leader.Term}");

            // Its state, read through the API, is the primary's: monitors, every group's state, the transitions.
            await model.AssertStateAsync(cluster, standby, monitorId, ct);
            Assert.Equal(await MonitorsAsync(cluster, primary, ct), await MonitorsAsync(cluster, standby, ct));
            Assert.Equal(await StatesAsync(cluster, primary, monitorId, ct), await StatesAsync(cluster, standby, monitorId, ct));
            AssertSameTransitions(await HistoryAsync(cluster, primary, monitorId, ct), await HistoryAsync(cluster, standby, monitorId, ct));

            // The rejoined standby takes over: every acknowledged point survives and writes continue.
            await WaitForStandbyToHoldAsync(cluster, primary, standby, ct);
            await cluster.KillAsync(primary);
            var promoted = await cluster.WaitForPrimaryAsync(ct, not: primary);
            Assert.Equal(standby, promoted);
            promoted = await WriteAsync(cluster, promoted, model, "final", ct);
            await model.AssertStateAsync(cluster, promoted, monitorId, ct);
        }
        catch (Exception) when (!Describe(cluster))
        {
            throw;
        }
    }

    [Fact]
    public async Task A_standby_and_the_witness_refuse_writes_naming_the_primary()
    {
        await using var cluster = await LocalCluster.StartAsync();
        using var timeout = new CancellationTokenSource(LocalCluster.Patience);
        var primary = await cluster.WaitForPrimaryAsync(timeout.Token);
        var primaryStatus = await cluster.Cluster(primary).StatusAsync(new StatusRequest(), cancellationToken: timeout.Token);
        await cluster.WaitForCaughtUpAsync(3 - primary, 1, timeout.Token);
        await LocalCluster.PollAsync(() => cluster.TryStatusAsync(LocalCluster.WitnessId, timeout.Token), s => s?.PrimaryId.Length > 0, timeout.Token);

        foreach (var id in new[] { 3 - primary, LocalCluster.WitnessId })
        {
            var refused = await Assert.ThrowsAsync<RpcException>(async () => await cluster.Ingest(id).WriteBatchAsync(Samples.Cpu("x", 1), cancellationToken: timeout.Token));
            Assert.Equal(StatusCode.Unavailable, refused.StatusCode);
            Assert.Equal(primaryStatus.PrimaryAddress, refused.Trailers.GetValue(EngineCalls.PrimaryTrailer));
        }

        var witness = await cluster.Cluster(LocalCluster.WitnessId).StatusAsync(new StatusRequest(), cancellationToken: timeout.Token);
        Assert.Equal("witness", witness.Role);
        Assert.Equal(primaryStatus.Term, witness.Term);
        Assert.Equal("replicated", witness.Durability);
    }

    /// <summary>Every transition seen earlier is still there with the same id and log index; no id appears twice.</summary>
    private static void AssertSameTransitions(List<TransitionEvent> earlier, List<TransitionEvent> later)
    {
        static (string, string, ulong) Id(TransitionEvent e) => (e.MonitorId, e.GroupKey, e.TransitionNumber);
        var byId = new Dictionary<(string, string, ulong), TransitionEvent>();
        foreach (var e in later)
        {
            Assert.True(byId.TryAdd(Id(e), e), $"transition {Id(e)} appears twice");
        }

        foreach (var e in earlier)
        {
            Assert.True(byId.TryGetValue(Id(e), out var same), $"transition {Id(e)} ({e.PreviousState}->{e.NewState} at {e.LogIndex}) was lost in the failover");
            Assert.Equal((e.NewState, e.LogIndex), (same!.NewState, same.LogIndex));
        }
    }

    private static async Task<string> CreateMonitorAsync(LocalCluster cluster, int primary, CancellationToken ct)
    {
        var monitor = new Protocol.Log.Monitor { Name = "cpu high", Type = "metric", Query = Query, Message = "cpu is high", Options = new MonitorOptions { NewGroupDelayMs = 0, OnArrival = true } };
        var created = await cluster.Monitors(primary).CreateAsync(new CreateMonitorRequest { Monitor = monitor }, cancellationToken: ct);
        return created.Monitor.Id;
    }

    private static async Task<List<string>> MonitorsAsync(LocalCluster cluster, int node, CancellationToken ct) =>
        [.. (await cluster.Monitors(node).ListAsync(new ListMonitorsRequest { PageSize = Paging.MaxPageSize }, cancellationToken: ct)).Monitors.Select(m => m.ToString()).Order(StringComparer.Ordinal)];

    private static async Task<List<string>> StatesAsync(LocalCluster cluster, int node, string monitorId, CancellationToken ct) =>
        [.. (await cluster.Alerts(node).ListStatesAsync(new ListStatesRequest { MonitorId = monitorId, PageSize = Paging.MaxPageSize }, cancellationToken: ct)).States.Select(s => $"{s.GroupKey}={s.State}").Order(StringComparer.Ordinal)];

    private static async Task<List<TransitionEvent>> HistoryAsync(LocalCluster cluster, int node, string monitorId, CancellationToken ct) =>
        [.. (await cluster.Alerts(node).HistoryAsync(new HistoryRequest { MonitorId = monitorId, Limit = AlertsService.MaxHistoryLimit }, cancellationToken: ct)).Events];

    /// <summary>The failover waits for the standby to hold what was acknowledged: an entry committed with the witness alone cannot be elected from a standby that lacks it (the witness refuses it, by design).</summary>
    private static async Task WaitForStandbyToHoldAsync(LocalCluster cluster, int primary, int standby, CancellationToken ct)
    {
        var status = await cluster.Cluster(primary).StatusAsync(new StatusRequest(), cancellationToken: ct);
        await LocalCluster.PollAsync(() => cluster.TryStatusAsync(standby, ct), s => s is not null && s.DurableIndex >= status.CommitIndex, ct);
    }

    /// <summary>Writes one point per new host to the primary, following it when it changes; returns the primary at the end.</summary>
    private static async Task<int> WriteAsync(LocalCluster cluster, int primary, WriteModel model, string prefix, CancellationToken ct, int batches = BatchesPerPhase)
    {
        for (var i = 0; i < batches; i++)
        {
            var host = prefix + i.ToString(CultureInfo.InvariantCulture);
            var value = i % 3 == 0 ? 95.0 : 10.0;
            model.Attempted[host] = value;
            while (true)
            {
                try
                {
                    var ack = await cluster.Ingest(primary).WriteBatchAsync(Samples.Cpu(host, value, (ulong)model.Attempted.Count), cancellationToken: ct);
                    Assert.Equal(1, ack.Accepted);
                    model.Acknowledged[host] = value;
                    break;
                }
                catch (RpcException e) when (e.StatusCode is StatusCode.Unavailable or StatusCode.ResourceExhausted)
                {
                    // Outcome unknown, or not the primary any more: find the primary and send the same point again.
                    primary = await cluster.WaitForPrimaryAsync(ct);
                }
            }
        }

        return primary;
    }

    private bool Describe(LocalCluster cluster)
    {
        output.WriteLine(cluster.Describe());
        return false;
    }

    /// <summary>What the clients sent and what was acknowledged: host → value.</summary>
    private sealed class WriteModel
    {
        public Dictionary<string, double> Attempted { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, double> Acknowledged { get; } = new(StringComparer.Ordinal);

        /// <summary>Every acknowledged point is in the node's state (its group, in the state its value gives); no group comes from a point never sent.</summary>
        public async Task AssertStateAsync(LocalCluster cluster, int node, string monitorId, CancellationToken ct)
        {
            var states = await cluster.Alerts(node).ListStatesAsync(new ListStatesRequest { MonitorId = monitorId, PageSize = Paging.MaxPageSize }, cancellationToken: ct);
            Assert.Empty(states.NextPageToken);
            var groups = states.States.ToDictionary(s => s.GroupKey, s => s.State, StringComparer.Ordinal);
            foreach (var (host, value) in Acknowledged)
            {
                Assert.True(groups.TryGetValue("host:" + host, out var state), $"acknowledged point of host {host} is missing on node {node}");
                Assert.Equal(value > 90 ? "ALERT" : "OK", state);
            }

            foreach (var group in groups.Keys)
            {
                Assert.True(Attempted.ContainsKey(group["host:".Length..]), $"group {group} on node {node} comes from no point sent");
            }
        }
    }
}
