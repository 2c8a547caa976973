using System.Diagnostics;
using System.Globalization;
using Alerting.Protocol.V1;
using HdrHistogram;

namespace Alerting.Perf.Scenarios;

/// <summary>
/// Issue 7's stall bar: an unrelated <c>on_arrival</c> monitor's alert latency (M2: write of a
/// crossing point → transition on a subscription) while the state machine takes a write of
/// <c>--series</c> (100 000) new series and the creation of <c>--monitors</c> (default 1 000) monitors
/// that together match <c>--series</c> existing series (monitor K: <c>avg(last_5m):avg:perf.stall.b.K{*} by {host}</c>
/// over the series on metric <c>perf.stall.b.K</c>, an equal share of them). The existing series are written
/// first, unmeasured; then <c>--samples</c>/4 transitions with no load (the baseline), then the
/// load and the transitions together, one every 1/<c>--sample-rate</c> s until the load is done
/// (each from its due time, so a stall shows as latency). Bar: p99 ≤ 10 ms under load.
/// </summary>
internal static class StallScenario
{
    private const string AdmissionWait = "alerting_ingest_admission_wait_seconds";
    private const string AdmissionRefused = "alerting_ingest_admission_refused_total";

    public static async Task<ScenarioResult> RunAsync(RunOptions options, Output output, CancellationToken cancellationToken)
    {
        var n = options.Series;
        var monitorCount = options.Monitors > 0 ? options.Monitors : 1_000;
        var result = new ScenarioResult
        {
            Scenario = "stall",
            Parameters = new()
            {
                ["series"] = n.ToString(CultureInfo.InvariantCulture),
                ["monitors"] = monitorCount.ToString(CultureInfo.InvariantCulture),
                ["batch"] = options.Batch.ToString(CultureInfo.InvariantCulture),
                ["streams"] = options.Streams.ToString(CultureInfo.InvariantCulture),
                ["concurrency"] = options.Concurrency.ToString(CultureInfo.InvariantCulture),
                ["sample_rate"] = options.SampleRate.ToString(CultureInfo.InvariantCulture),
                ["server"] = options.Target?.ToString() ?? (options.Cluster ? "own three-node cluster (replicated)" : "own process"),
            },
        };
        await using var target = await Target.OpenAsync(options, cancellationToken).ConfigureAwait(false);
        string Matched(int k) => options.RunScope + "perf.stall.b." + (k % monitorCount).ToString(CultureInfo.InvariantCulture);

        var before = await target.Metrics.ScrapeAsync(cancellationToken).ConfigureAwait(false);
        var seeded = await output.WithProgressAsync($"stall: {n} series for the monitors to match (not measured)", progress =>
            Workload.WriteSeriesAsync(target, options, n, Matched, 1, progress, cancellationToken)).ConfigureAwait(false);
        await Workload.CheckWrittenAsync(result, target, before, seeded, cancellationToken).ConfigureAwait(false);

        var monitors = new Monitors.MonitorsClient(target.Channel);

        // The probe is an unrelated client: its own connection, so write admission gives it its
        // own turn beside the load's (the series writers each have theirs, the monitor creates
        // share target.Channel).
        using var probeChannel = Grpc.Net.Client.GrpcChannel.ForAddress(target.Grpc);
        var ingest = new Ingest.IngestClient(probeChannel);
        var alerts = new Alerts.AlertsClient(probeChannel);
        var run = "stall-" + Guid.NewGuid().ToString("N")[..8];
        var created = await monitors.CreateAsync(new CreateMonitorRequest
        {
            Monitor = new Protocol.Log.Monitor
            {
                Name = options.NameOf(run),
                Type = "metric",
                Query = "last(last_1m):max:" + options.RunScope + "perf.stall.latency{*} by {run} > 50",
                Options = new Protocol.Log.MonitorOptions { NewGroupDelayMs = 0, OnArrival = true },
            },
        }, options.Headers(), cancellationToken: cancellationToken);

        var idle = new LongHistogram(TimeStamp.Seconds(120), 3);
        var loaded = new LongHistogram(TimeStamp.Seconds(120), 3);
        long wrongState = 0;
        long received = 0;
        Workload.Written? written = null;
        Scrape? loadBefore = null;
        var monitorsTook = TimeSpan.Zero;
        using (var subscription = alerts.Subscribe(new SubscribeRequest { FromIndex = created.LogIndex, MonitorId = created.Monitor.Id }, options.Headers(), cancellationToken: cancellationToken))
        {
            var events = subscription.ResponseStream;
            var sample = 0;
            var period = (double)Stopwatch.Frequency / Math.Max(1, options.SampleRate);

            // One crossing write, due at `due`: its transition's latency from then.
            async Task Cross(long due, LongHistogram into)
            {
                var wait = due - Stopwatch.GetTimestamp();
                if (wait > 0)
                {
                    await Task.Delay(TimeSpan.FromSeconds((double)wait / Stopwatch.Frequency), cancellationToken);
                }

                var above = sample++ % 2 == 0;
                await ingest.WriteBatchAsync(new WriteRequest
                {
                    Points = { new Point { Metric = options.RunScope + "perf.stall.latency", Tags = { "run:" + run }, UnixMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), Value = above ? 100 : 0 } },
                }, options.Headers(), cancellationToken: cancellationToken);
                if (!await events.MoveNext(cancellationToken))
                {
                    throw new HarnessException("the subscription ended");
                }

                into.RecordValue(Math.Max(1, Stopwatch.GetTimestamp() - due));
                received++;
                if (events.Current.NewState != (above ? "ALERT" : "OK"))
                {
                    wrongState++;
                }
            }

            var baseline = Math.Max(10, options.Samples / 4);
            await output.WithProgressAsync($"stall: {baseline} transitions with no load", async progress =>
            {
                var started = Stopwatch.GetTimestamp();
                for (var i = 0; i < baseline; i++)
                {
                    await Cross(started + (long)(i * period), idle);
                    progress(string.Create(CultureInfo.InvariantCulture, $"{i + 1}/{baseline} transitions"));
                }

                return 0;
            }).ConfigureAwait(false);

            loadBefore = await target.Metrics.ScrapeAsync(cancellationToken).ConfigureAwait(false);
            await output.WithProgressAsync($"stall: transitions while {n} new series and {monitorCount} monitors over {n} series apply", async progress =>
            {
                var silent = new Action<string>(_ => { });
                var write = Task.Run(() => Workload.WriteSeriesAsync(target, options, n, k => options.MetricOf("perf.stall.a", k), 1, silent, cancellationToken), cancellationToken);
                var create = Task.Run(() => Workload.CreateMonitorsAsync(
                    target,
                    options,
                    monitorCount,
                    k => new Protocol.Log.Monitor
                    {
                        Name = options.NameOf($"perf-stall-{k}"),
                        Type = "metric",
                        Query = $"avg(last_5m):avg:{Matched(k)}{{*}} by {{host}} > 90",
                        Options = new Protocol.Log.MonitorOptions { NewGroupDelayMs = 0, EvaluationIntervalMs = 60_000 },
                    },
                    silent,
                    cancellationToken), cancellationToken);
                var started = Stopwatch.GetTimestamp();
                for (var i = 0; i == 0 || !(write.IsCompleted && create.IsCompleted); i++)
                {
                    await Cross(started + (long)(i * period), loaded);
                    progress(string.Create(CultureInfo.InvariantCulture, $"{i + 1} transitions, p99 so far {loaded.GetValueAtPercentile(99) * 1000.0 / Stopwatch.Frequency:F1} ms"));
                }

                written = await write.ConfigureAwait(false);
                monitorsTook = await create.ConfigureAwait(false);
                return 0;
            }).ConfigureAwait(false);
        }

        var loadAfter = await target.Metrics.ScrapeAsync(cancellationToken).ConfigureAwait(false);
        var waits = loadAfter.Long(AdmissionWait + "_count") - loadBefore!.Long(AdmissionWait + "_count");
        result.Add("STALL.admission.waits", "writes admitted during the load (server's admission histogram count)", waits, "writes");
        if (waits > 0)
        {
            result.Add("STALL.admission.wait_mean", "mean admission wait during the load", (loadAfter[AdmissionWait + "_sum"] - loadBefore[AdmissionWait + "_sum"]) * 1000 / waits, "ms");
        }

        result.Add("STALL.admission.refused", "writes refused admission during the load (RESOURCE_EXHAUSTED, retried by the writers)", loadAfter.Long(AdmissionRefused) - loadBefore.Long(AdmissionRefused), "writes");
        OpenLoop.Latency(result, "STALL.idle", "write → transition, no load", idle, p99Bar: 10);
        OpenLoop.Latency(result, "STALL", "write → transition while the series and monitors apply", loaded, p99Bar: 10);
        result.Add("STALL.series_write", "write of N new series (closed loop, --streams in flight) → all acked", written!.Elapsed.TotalSeconds, "s");
        result.Add("STALL.monitors_create", $"create {monitorCount} monitors over N existing series → all acked", monitorsTook.TotalSeconds, "s");
        result.Check("every point accepted", written.Accepted == written.Points && written.Rejected == 0,
            $"{written.Accepted} of {written.Points} accepted, {written.Rejected} rejected {written.RejectReasons}");
        result.Check("one transition per crossing write", wrongState == 0, $"{received} transitions received, {wrongState} in the wrong state");
        await Workload.CheckHeldAsync(result, target, monitorCount + 1, (2L * n) + 1, cancellationToken).ConfigureAwait(false);
        await monitors.DeleteAsync(new DeleteMonitorRequest { Id = created.Monitor.Id }, options.Headers(), cancellationToken: cancellationToken);
        return result;
    }
}
