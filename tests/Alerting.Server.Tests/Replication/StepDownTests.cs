using System.Globalization;
using Alerting.Protocol.Log;
using Alerting.Protocol.V1;
using Alerting.Server.Api;
using Grpc.Core;
using Xunit.Abstractions;

namespace Alerting.Server.Tests.Replication;

/// <summary>
/// <c>Cluster.StepDown</c> on three real processes (data 1, data 2, witness 3): the primary hands over
/// while a client keeps writing; the target leads the next term, writes continue there, and every
/// acknowledged point is in the new primary's state. Each point is a new host's only sample, so its
/// group exists exactly when the point was applied (the model, as in <see cref="FailoverTests"/>).
/// </summary>
public sealed class StepDownTests(ITestOutputHelper output)
{
    private const string Query = "max(last_1h):max:cpu{*} by {host} > 90";

    [Fact]
    public async Task Step_down_hands_the_lead_to_the_standby_while_writes_continue_and_no_acknowledged_write_is_lost()
    {
        await using var cluster = await LocalCluster.StartAsync();
        using var timeout = new CancellationTokenSource(LocalCluster.Patience * 3);
        var ct = timeout.Token;
        try
        {
            var primary = await cluster.WaitForPrimaryAsync(ct);
            var monitor = new Protocol.Log.Monitor { Name = "cpu high", Type = "metric", Query = Query, Message = "cpu is high", Options = new MonitorOptions { NewGroupDelayMs = 0, OnArrival = true } };
            var monitorId = (await cluster.Monitors(primary).CreateAsync(new CreateMonitorRequest { Monitor = monitor }, cancellationToken: ct)).Monitor.Id;
            var standby = 3 - primary;
            var before = await cluster.Cluster(primary).StatusAsync(new StatusRequest(), cancellationToken: ct);

            // Only the primary hands over; the others name it. A witness is no target.
            foreach (var id in new[] { standby, LocalCluster.WitnessId })
            {
                await LocalCluster.PollAsync(() => cluster.TryStatusAsync(id, ct), s => s?.PrimaryId.Length > 0, ct);
                var refused = await Assert.ThrowsAsync<RpcException>(async () => await cluster.Cluster(id).StepDownAsync(new StepDownRequest(), cancellationToken: ct));
                Assert.Equal(StatusCode.Unavailable, refused.StatusCode);
                Assert.Equal(before.PrimaryAddress, refused.Trailers.GetValue(EngineCalls.PrimaryTrailer));
            }

            var witnessTarget = await Assert.ThrowsAsync<RpcException>(async () => await cluster.Cluster(primary).StepDownAsync(new StepDownRequest { To = "3" }, cancellationToken: ct));
            Assert.Equal(StatusCode.InvalidArgument, witnessTarget.StatusCode);

            // A client writes without pause during the hand-over, following the primary.
            var writer = new Writer(cluster, primary);
            using var stopWriting = new CancellationTokenSource();
            var writing = writer.RunAsync(stopWriting.Token, ct);
            await writer.WaitForAcksAsync(20, ct);

            var handedOver = await cluster.Cluster(primary).StepDownAsync(new StepDownRequest { To = standby.ToString(CultureInfo.InvariantCulture) }, cancellationToken: ct);
            Assert.Equal(standby.ToString(CultureInfo.InvariantCulture), handedOver.PrimaryId);
            Assert.True(handedOver.Term > before.Term, $"the new primary leads a later term: {handedOver.Term} after {before.Term}");
            var acksAtHandOver = writer.Acked.Count;
            output.WriteLine($"node {primary} handed term {before.Term} over to node {handedOver.PrimaryId} (term {handedOver.Term}) after {acksAtHandOver} acknowledged writes");

            // Writes continue on the new primary.
            await writer.WaitForAcksAsync(acksAtHandOver + 20, ct);
            await stopWriting.CancelAsync();
            await writing;
            Assert.Equal(standby, writer.Primary);
            var leader = await cluster.Cluster(standby).StatusAsync(new StatusRequest(), cancellationToken: ct);
            Assert.Equal(("primary", handedOver.Term), (leader.Role, leader.Term));

            // Nothing acknowledged is lost, on the new primary or on the old one, now its standby.
            await cluster.WaitForCaughtUpAsync(primary, leader.CommitIndex, ct);
            foreach (var id in new[] { standby, primary })
            {
                var states = await cluster.Alerts(id).ListStatesAsync(new ListStatesRequest { MonitorId = monitorId, PageSize = Paging.MaxPageSize }, cancellationToken: ct);
                var groups = states.States.Select(s => s.GroupKey).ToHashSet(StringComparer.Ordinal);
                Assert.All(writer.Acked, host => Assert.Contains("host:" + host, groups));
                Assert.All(groups, g => Assert.Contains(g["host:".Length..], writer.Attempted));
            }

            // And back: the same call on the new primary, without a target, picks the only other data member.
            var back = await cluster.Cluster(standby).StepDownAsync(new StepDownRequest(), cancellationToken: ct);
            Assert.Equal(primary.ToString(CultureInfo.InvariantCulture), back.PrimaryId);
        }
        catch (Exception) when (!Describe(cluster))
        {
            throw;
        }
    }

    [Fact]
    public async Task Status_shows_a_transfer_in_progress_with_its_target_and_start_and_not_once_it_was_abandoned()
    {
        await using var cluster = await LocalCluster.StartAsync();
        using var timeout = new CancellationTokenSource(LocalCluster.Patience * 2);
        var ct = timeout.Token;
        var standby = 0;
        try
        {
            var primary = await cluster.WaitForPrimaryAsync(ct);
            standby = 3 - primary;
            var idle = await cluster.Cluster(primary).StatusAsync(new StatusRequest(), cancellationToken: ct);
            Assert.Equal((string.Empty, 0L), (idle.TransferTarget, idle.TransferSinceUnixMs));

            // A stopped target cannot take over: the transfer runs for an election timeout, then is given up.
            cluster.Process(standby).Pause();
            var startedAfter = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            var stepDown = cluster.Cluster(primary).StepDownAsync(new StepDownRequest { To = standby.ToString(CultureInfo.InvariantCulture) }, cancellationToken: ct).ResponseAsync;
            var seen = new List<StatusResponse>();
            while (!stepDown.IsCompleted)
            {
                seen.Add(await cluster.Cluster(primary).StatusAsync(new StatusRequest(), cancellationToken: ct));
            }

            var aborted = await Assert.ThrowsAsync<RpcException>(() => stepDown);
            Assert.Equal(StatusCode.Aborted, aborted.StatusCode);
            var during = seen.Where(s => s.TransferTarget.Length > 0).ToList();
            output.WriteLine($"{seen.Count} status reads during the transfer, {during.Count} showed it");
            Assert.NotEmpty(during);
            Assert.All(during, s =>
            {
                Assert.Equal(standby.ToString(CultureInfo.InvariantCulture), s.TransferTarget);
                Assert.InRange(s.TransferSinceUnixMs, startedAfter - 1000, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
                Assert.Equal("primary", s.Role);
            });
            Assert.Single(during.Select(s => s.TransferSinceUnixMs).Distinct());

            var after = await cluster.Cluster(primary).StatusAsync(new StatusRequest(), cancellationToken: ct);
            Assert.Equal(("primary", string.Empty, 0L), (after.Role, after.TransferTarget, after.TransferSinceUnixMs));
        }
        catch (Exception) when (!Describe(cluster))
        {
            throw;
        }
        finally
        {
            if (standby != 0)
            {
                cluster.TryContinue(standby);
            }
        }
    }

    private bool Describe(LocalCluster cluster)
    {
        output.WriteLine(cluster.Describe());
        return false;
    }

    /// <summary>Writes one new host per request, one at a time, retrying a refused or unknown write at the primary it finds.</summary>
    private sealed class Writer(LocalCluster cluster, int primary)
    {
        private readonly object _gate = new();
        private TaskCompletionSource _progress = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int Primary { get; private set; } = primary;

        public List<string> Acked { get; } = [];

        public HashSet<string> Attempted { get; } = new(StringComparer.Ordinal);

        public async Task WaitForAcksAsync(int count, CancellationToken ct)
        {
            while (true)
            {
                Task progress;
                lock (_gate)
                {
                    if (Acked.Count >= count)
                    {
                        return;
                    }

                    progress = _progress.Task;
                }

                await progress.WaitAsync(ct);
            }
        }

        public async Task RunAsync(CancellationToken stop, CancellationToken ct)
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                var host = "w" + i.ToString(CultureInfo.InvariantCulture);
                lock (_gate)
                {
                    Attempted.Add(host);
                }

                while (true)
                {
                    try
                    {
                        var ack = await cluster.Ingest(Primary).WriteBatchAsync(Samples.Cpu(host, 95, (ulong)i + 1), cancellationToken: ct);
                        Assert.Equal(1, ack.Accepted);
                        TaskCompletionSource done;
                        lock (_gate)
                        {
                            Acked.Add(host);
                            done = _progress;
                            _progress = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                        }

                        done.SetResult();
                        break;
                    }
                    catch (RpcException e) when (e.StatusCode is StatusCode.Unavailable or StatusCode.ResourceExhausted)
                    {
                        // Refused during the hand-over (naming the target) or outcome unknown: find the primary, send the same point again.
                        Primary = await cluster.WaitForPrimaryAsync(ct);
                    }
                }
            }
        }
    }
}
