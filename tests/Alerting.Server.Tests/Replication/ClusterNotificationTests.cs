using System.Globalization;
using Alerting.Protocol.Log;
using Alerting.Protocol.V1;
using Alerting.Server.Tests.Notifications;
using Grpc.Core;
using Xunit.Abstractions;

namespace Alerting.Server.Tests.Replication;

/// <summary>
/// Notifications in a real three-process cluster (data 1, data 2, witness 3) with a webhook receiver in
/// the test process. Only the primary of a term sends, every request names its node and term, a new
/// primary resends what the old one left unsettled and nothing it settled, and a standby sends nothing.
/// Every point is a new host's only sample at 95, so each acknowledged point is exactly one trigger
/// transition <c>{monitor}/host:{h}/1</c>: that is the model of what must be delivered.
/// </summary>
public sealed class ClusterNotificationTests(ITestOutputHelper output)
{
    private const string Query = "max(last_1h):max:cpu{*} by {host} > 90";

    private const int HostsPerPhase = 4;

    private ulong _batches;

    [Fact]
    public async Task Only_the_primary_notifies_and_a_new_primary_delivers_every_transition_the_killed_one_left_unsettled()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        receiver.Gate = held.Task;
        await using var cluster = await LocalCluster.StartAsync(
            "--Notifications:Endpoints:0:Name", "hook",
            "--Notifications:Endpoints:0:Type", "webhook",
            "--Notifications:Endpoints:0:Url", new Uri(receiver.Url, "hook").ToString(),
            "--Notifications:Default:0", "hook");
        using var timeout = new CancellationTokenSource(LocalCluster.Patience * 4);
        var ct = timeout.Token;
        try
        {
            var first = await cluster.WaitForPrimaryAsync(ct);
            var monitor = new Protocol.Log.Monitor { Name = "cpu high", Type = "metric", Query = Query, Message = "cpu is high", Options = new MonitorOptions { NewGroupDelayMs = 0, OnArrival = true } };
            var monitorId = (await cluster.Monitors(first).CreateAsync(new CreateMonitorRequest { Monitor = monitor }, cancellationToken: ct)).Monitor.Id;
            string Id(string host) => $"{monitorId}/host:{host}/1";

            // Phase 1: the receiver holds every request, so nothing the first primary sends is settled.
            var (primary, phase1) = await WriteAsync(cluster, first, "p1-", ct);
            var arrived = await receiver.NextAsync(ct);
            var firstTerm = (await cluster.Cluster(primary).StatusAsync(new StatusRequest(), cancellationToken: ct)).Term;
            Assert.Equal((primary.ToString(CultureInfo.InvariantCulture), firstTerm), (arrived.Node, arrived.Term));
            Assert.Contains(arrived.TransitionId, phase1.Select(Id));
            // The standby runs no delivery and lists none.
            var standby = 3 - primary;
            Assert.Empty((await cluster.Notifications(standby).ListAsync(new ListNotificationsRequest(), cancellationToken: ct)).Endpoints);

            await WaitForStandbyToHoldAsync(cluster, primary, standby, ct);
            await cluster.KillAsync(primary);
            receiver.Gate = Task.CompletedTask;
            held.SetResult();
            var second = await cluster.WaitForPrimaryAsync(ct, not: primary);
            Assert.Equal(standby, second);
            var (_, phase2) = await WriteAsync(cluster, second, "p2-", ct);

            // Every transition of both phases reaches the receiver from the new primary, answered 200.
            var secondName = second.ToString(CultureInfo.InvariantCulture);
            await WaitForAsync(receiver, phase1.Concat(phase2).Select(Id), secondName, ct);

            // The old primary comes back as a standby: it catches up and sends nothing.
            await cluster.StartNodeAsync(primary);
            var rejoinedAt = receiver.All.Count;
            var (_, phase3) = await WriteAsync(cluster, second, "p3-", ct);
            await WaitForAsync(receiver, phase3.Select(Id), secondName, ct);

            // The outcomes are in the log: the primary's durable cursor passes the last transition.
            var lastTransition = (await cluster.Alerts(second).HistoryAsync(new HistoryRequest { MonitorId = monitorId, Limit = 1000 }, cancellationToken: ct)).Events.Max(e => e.LogIndex);
            await LocalCluster.PollAsync(
                async () => (await cluster.Notifications(second).ListAsync(new ListNotificationsRequest { Endpoint = "hook" }, cancellationToken: ct)).Endpoints.Single(),
                e => e.WrittenSettledBeforeIndex > lastTransition && e.Pending == 0,
                ct);

            // Hand over by killing the second primary once the first holds everything: it resumes from the
            // replicated cursor, so it sends the new phase and nothing the second primary settled.
            var sentBefore = receiver.All.Count;
            Assert.All(receiver.All.Skip(rejoinedAt), r => Assert.Equal(secondName, r.Node));
            var leader = await cluster.Cluster(second).StatusAsync(new StatusRequest(), cancellationToken: ct);
            await cluster.WaitForCaughtUpAsync(primary, leader.AppliedIndex, ct);
            await WaitForStandbyToHoldAsync(cluster, second, primary, ct);
            await cluster.KillAsync(second);
            var third = await cluster.WaitForPrimaryAsync(ct, not: second);
            Assert.Equal(primary, third);
            var (_, phase4) = await WriteAsync(cluster, third, "p4-", ct);
            var thirdName = third.ToString(CultureInfo.InvariantCulture);
            await WaitForAsync(receiver, phase4.Select(Id), thirdName, ct);
            var settledEarlier = phase1.Concat(phase2).Concat(phase3).Select(Id).ToHashSet(StringComparer.Ordinal);
            Assert.DoesNotContain(receiver.All.Skip(sentBefore), r => settledEarlier.Contains(r.TransitionId));

            AssertFenced(receiver.All);
            output.WriteLine($"{receiver.All.Count} requests; terms and senders: {string.Join(", ", receiver.All.Select(r => $"{r.Node}@{r.Term}").Distinct())}");
        }
        catch (Exception) when (!Describe(cluster))
        {
            throw;
        }
    }

    [Fact]
    public async Task A_paused_primary_starts_no_notification_after_it_wakes_deposed()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        receiver.Gate = held.Task;
        // One request at a time: the primary has deliveries queued behind the held one when it is paused.
        await using var cluster = await LocalCluster.StartAsync(
            "--Notifications:Endpoints:0:Name", "hook",
            "--Notifications:Endpoints:0:Type", "webhook",
            "--Notifications:Endpoints:0:Url", new Uri(receiver.Url, "hook").ToString(),
            "--Notifications:Default:0", "hook",
            "--Notifications:Delivery:MaxConcurrentRequestsPerEndpoint", "1");
        using var timeout = new CancellationTokenSource(LocalCluster.Patience * 4);
        var ct = timeout.Token;
        var stale = 0;
        try
        {
            var first = await cluster.WaitForPrimaryAsync(ct);
            var monitor = new Protocol.Log.Monitor { Name = "cpu high", Type = "metric", Query = Query, Message = "cpu is high", Options = new MonitorOptions { NewGroupDelayMs = 0, OnArrival = true } };
            var monitorId = (await cluster.Monitors(first).CreateAsync(new CreateMonitorRequest { Monitor = monitor }, cancellationToken: ct)).Monitor.Id;
            string Id(string host) => $"{monitorId}/host:{host}/1";

            (stale, var phase1) = await WriteAsync(cluster, first, "p1-", ct);
            await receiver.NextAsync(ct);
            var staleName = stale.ToString(CultureInfo.InvariantCulture);
            await WaitForStandbyToHoldAsync(cluster, stale, 3 - stale, ct);
            cluster.Process(stale).Pause();
            var promoted = await cluster.WaitForPrimaryAsync(ct, not: stale);
            var sentByStale = receiver.All.Count(r => r.Node == staleName);

            // The held request is answered while the old primary sleeps; the new one delivers everything.
            receiver.Gate = Task.CompletedTask;
            held.SetResult();
            var promotedName = promoted.ToString(CultureInfo.InvariantCulture);
            var (_, phase2) = await WriteAsync(cluster, promoted, "p2-", ct);
            await WaitForAsync(receiver, phase1.Concat(phase2).Select(Id), promotedName, ct);

            // It wakes believing it leads, with deliveries queued and its in-flight one answered: it starts none.
            cluster.Process(stale).Continue();
            var leader = await cluster.Cluster(promoted).StatusAsync(new StatusRequest(), cancellationToken: ct);
            await cluster.WaitForCaughtUpAsync(stale, leader.CommitIndex, ct);
            var (_, phase3) = await WriteAsync(cluster, promoted, "p3-", ct);
            await WaitForAsync(receiver, phase3.Select(Id), promotedName, ct);

            Assert.Equal(sentByStale, receiver.All.Count(r => r.Node == staleName));
            AssertFenced(receiver.All);
            output.WriteLine($"node {stale} sent {sentByStale} request(s) before its pause and none after; node {promoted} sent {receiver.All.Count(r => r.Node == promotedName)}");
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

    /// <summary>
    /// Every request names its node and term; one node per term; and in arrival order the term never goes
    /// back (the killed primaries sent nothing after a later term's first request).
    /// </summary>
    private static void AssertFenced(IReadOnlyList<Received> all)
    {
        var senderOfTerm = new Dictionary<ulong, string>();
        ulong highest = 0;
        foreach (var r in all)
        {
            Assert.NotEmpty(r.Node);
            Assert.True(r.Term > 0, $"request {r.TransitionId} carries no term");
            Assert.Equal(senderOfTerm.TryAdd(r.Term, r.Node) ? r.Node : senderOfTerm[r.Term], r.Node);
            Assert.True(r.Term >= highest, $"request {r.TransitionId} from node {r.Node} in term {r.Term} arrived after a request of term {highest}");
            highest = r.Term;
        }
    }

    /// <summary>Waits until each id has been received from <paramref name="node"/> (the receiver answers 200 once the gate is open).</summary>
    private static async Task WaitForAsync(WebhookReceiver receiver, IEnumerable<string> ids, string node, CancellationToken ct)
    {
        var missing = ids.ToHashSet(StringComparer.Ordinal);
        foreach (var r in receiver.All.Where(r => r.Node == node))
        {
            missing.Remove(r.TransitionId);
        }

        while (missing.Count > 0)
        {
            var r = await receiver.NextAsync(ct);
            if (r.Node == node && r.Answered == 200)
            {
                missing.Remove(r.TransitionId);
            }
        }
    }

    private static async Task WaitForStandbyToHoldAsync(LocalCluster cluster, int primary, int standby, CancellationToken ct)
    {
        var status = await cluster.Cluster(primary).StatusAsync(new StatusRequest(), cancellationToken: ct);
        await LocalCluster.PollAsync(() => cluster.TryStatusAsync(standby, ct), s => s is not null && s.DurableIndex >= status.CommitIndex, ct);
    }

    /// <summary>Writes one point at 95 per new host, following the primary; returns the primary at the end and the acknowledged hosts.</summary>
    private async Task<(int Primary, List<string> Hosts)> WriteAsync(LocalCluster cluster, int primary, string prefix, CancellationToken ct)
    {
        var hosts = new List<string>();
        for (var i = 0; i < HostsPerPhase; i++)
        {
            var host = prefix + i.ToString(CultureInfo.InvariantCulture);
            while (true)
            {
                try
                {
                    var ack = await cluster.Ingest(primary).WriteBatchAsync(Samples.Cpu(host, 95, ++_batches), cancellationToken: ct);
                    Assert.Equal(1, ack.Accepted);
                    hosts.Add(host);
                    break;
                }
                catch (RpcException e) when (e.StatusCode is StatusCode.Unavailable or StatusCode.ResourceExhausted)
                {
                    primary = await cluster.WaitForPrimaryAsync(ct);
                }
            }
        }

        return (primary, hosts);
    }

    private bool Describe(LocalCluster cluster)
    {
        output.WriteLine(cluster.Describe());
        return false;
    }
}
