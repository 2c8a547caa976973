using System.CommandLine;
using System.Globalization;
using Alerting.Perf.Scenarios;
using Grpc.Core;
using Spectre.Console;

namespace Alerting.Perf;

/// <summary>
/// The perf harness CLI: one command per scenario (and <c>all</c>), <c>compare</c> for two
/// JSON runs. Exit codes: 0 every check passed (bars are figures, not checks), 1 a check failed
/// (data lost or miscounted), 2 the harness could not run (no server, bad options).
/// </summary>
internal static class PerfApp
{
    public const int Ok = 0;
    public const int ChecksFailed = 1;
    public const int CannotRun = 2;

    private delegate Task<ScenarioResult> Scenario(RunOptions options, Output output, CancellationToken cancellationToken);

    private static readonly (string Name, string Description, Scenario Run)[] Scenarios =
    [
        ("ingest", "M1: open-loop ingest throughput and ack latency", IngestScenario.RunAsync),
        ("latency", "M2: write of a crossing point → transition on a subscription", LatencyScenario.RunAsync),
        ("matching", "B6 macro: N host-scoped monitors then N new series, and the reverse", MatchingScenario.RunAsync),
        ("memory", "M6: resident memory and managed heap per monitor and per series", MemoryScenario.RunAsync),
        ("recovery", "M5: restart a node holding N monitors and N series", RecoveryScenario.RunAsync),
        ("failover", "M4: three-node cluster; kill -9 of the primary → first acknowledged write on the new primary", FailoverScenario.RunAsync),
        ("schedule", "M3 scaled down: N monitors on an interval while points stream in", ScheduleScenario.RunAsync),
        ("stall", "issue 7 stall bar: on_arrival alert latency while --series new series and 1 000 monitors over --series series apply", StallScenario.RunAsync),
    ];

    private static readonly (string Name, string Description, Scenario Run) Peer =
        ("peer", "P1: the same N single-series rules on prometheus and on this engine (skips when prometheus is missing)", PeerScenario.RunAsync);

    /// <param name="output">Null: the terminal (live progress when interactive); otherwise plain text to this writer.</param>
    public static async Task<int> RunAsync(string[] args, TextWriter? output = null, CancellationToken cancellationToken = default)
    {
        var target = new Option<string?>("--target") { Description = "gRPC address of a running server (default: start one per scenario)" };
        var targetHttp = new Option<string?>("--target-http") { Description = "HTTP address of that server (/metrics, /healthz)" };
        var serverDll = new Option<string?>("--server-dll") { Description = "server to start (default: the one built beside the harness)" };
        var apiKey = new Option<string?>("--api-key") { Description = "API key for --target (default: ALERTING_API_KEY)" };
        var seconds = new Option<double>("--seconds") { Description = "ingest/schedule: how long to send", DefaultValueFactory = _ => 20 };
        var warmup = new Option<double>("--warmup") { Description = "ingest/schedule/peer: seconds of load before the measured window (checked, not in the figures)", DefaultValueFactory = _ => 5 };
        var streams = new Option<int>("--streams") { Description = "concurrent write streams", DefaultValueFactory = _ => 4 };
        var rate = new Option<int>("--rate") { Description = "offered points per second, across all streams", DefaultValueFactory = _ => 300_000 };
        var series = new Option<int>("--series") { Description = "ingest/schedule: series written", DefaultValueFactory = _ => 100_000 };
        var batch = new Option<int>("--batch") { Description = "points per write request", DefaultValueFactory = _ => 1_000 };
        var monitors = new Option<int>("--monitors") { Description = "ingest: host-scoped monitors over the series; stall: monitors over the series (0: 1 000)", DefaultValueFactory = _ => 0 };
        var metrics = new Option<MetricMode>("--metrics") { Description = "shared (one metric name per 100 000 series) or distinct (one per series)", DefaultValueFactory = _ => MetricMode.Shared };
        var interval = new Option<int>("--interval") { Description = "evaluation interval of created monitors, seconds", DefaultValueFactory = _ => 60 };
        var samples = new Option<int>("--samples") { Description = "latency: transitions measured", DefaultValueFactory = _ => 2_000 };
        var sampleRate = new Option<int>("--sample-rate") { Description = "latency: transitions per second", DefaultValueFactory = _ => 100 };
        var count = new Option<int>("--count") { Description = "matching/memory/recovery/schedule: N monitors (and N series)", DefaultValueFactory = _ => 10_000 };
        var windowPoints = new Option<int>("--window-points") { Description = "memory: points per series over 5 minutes", DefaultValueFactory = _ => 5 };
        var trials = new Option<int>("--trials") { Description = "failover: kill -9 / restart trials", DefaultValueFactory = _ => 20 };
        var crash = new Option<bool>("--crash") { Description = "recovery: SIGKILL instead of a graceful stop" };
        var notify = new Option<bool>("--notify") { Description = "failover: the data nodes notify a webhook receiver in the harness; also measures kill -9 → first notification from the new primary" };
        var cluster = new Option<bool>("--cluster") { Description = "the scenarios that start their own server (not recovery, failover): start a three-node replicated cluster (data 1 and 2, witness 3) instead and measure against its primary (acks wait for a quorum)" };
        var concurrency = new Option<int>("--concurrency") { Description = "monitor creations in flight", DefaultValueFactory = _ => 32 };
        var json = new Option<string?>("--json") { Description = "write the figures, checks, core count, memory and commit to this file" };
        var peer = new Option<string?>("--peer") { Description = "all: also run the side-by-side peer (only \"prometheus\")" };
        var prometheus = new Option<string>("--prometheus-binary") { Description = "peer: the prometheus program", DefaultValueFactory = _ => "prometheus", Hidden = true };
        var dropAcks = new Option<int>("--drop-acks-every") { Description = "fault injection (tests): the harness ignores every n-th ack", Hidden = true };
        var ramp = new Option<bool>("--ramp") { Description = "ingest: from --rate up, each step --ramp-factor times the last, until a step misses the bar (ack p99 ≤ 10 ms and all offered accepted); reports the highest rate that held" };
        var rampFactor = new Option<double>("--ramp-factor") { Description = "ingest --ramp: rate multiplier per step", DefaultValueFactory = _ => 1.5 };
        var rampSteps = new Option<int>("--ramp-steps") { Description = "ingest --ramp: most steps", DefaultValueFactory = _ => 6 };
        Option[] runOptions = [target, targetHttp, serverDll, apiKey, seconds, warmup, streams, rate, series, batch, monitors, metrics, interval, samples, sampleRate, count, windowPoints, trials, crash, notify, cluster, ramp, rampFactor, rampSteps, concurrency, json, prometheus, dropAcks];

        var root = new RootCommand("Alerting perf harness: scenarios of BENCHMARKS.md against real server processes on loopback");
        var writer = Output.For(output);

        RunOptions Read(ParseResult p) => new()
        {
            Target = Address(p.GetValue(target), "--target"),
            TargetHttp = Address(p.GetValue(targetHttp), "--target-http"),
            ServerDll = p.GetValue(serverDll),
            ApiKey = p.GetValue(apiKey) ?? Environment.GetEnvironmentVariable("ALERTING_API_KEY"),
            Seconds = p.GetValue(seconds),
            Warmup = p.GetValue(warmup),
            Streams = p.GetValue(streams),
            Rate = p.GetValue(rate),
            Series = p.GetValue(series),
            Batch = p.GetValue(batch),
            Monitors = p.GetValue(monitors),
            Metrics = p.GetValue(metrics),
            IntervalSeconds = p.GetValue(interval),
            Samples = p.GetValue(samples),
            SampleRate = p.GetValue(sampleRate),
            Count = p.GetValue(count),
            WindowPoints = p.GetValue(windowPoints),
            Crash = p.GetValue(crash),
            Notify = p.GetValue(notify),
            Cluster = p.GetValue(cluster),
            Ramp = p.GetValue(ramp),
            RampFactor = p.GetValue(rampFactor),
            RampSteps = p.GetValue(rampSteps),
            Trials = p.GetValue(trials),
            Concurrency = p.GetValue(concurrency),
            JsonPath = p.GetValue(json),
            DropAcksEvery = p.GetValue(dropAcks),
            PrometheusBinary = p.GetValue(prometheus)!,
        };

        void AddRunCommand(string name, string description, Scenario[] scenarios)
        {
            var command = new Command(name, description);
            foreach (var option in runOptions)
            {
                command.Options.Add(option);
            }

            // Only `all` takes --peer: the peer is a scenario of its own (`peer`) otherwise.
            if (name == "all")
            {
                command.Options.Add(peer);
            }

            command.SetAction((p, ct) =>
            {
                var options = Read(p) with { Peer = name == "all" ? p.GetValue(peer) : null };
                if (options.Peer is { } named && named != "prometheus")
                {
                    throw new HarnessException($"--peer: the only peer is prometheus, not \"{named}\"");
                }

                var run = options.Peer is not null ? [.. scenarios, Peer.Run] : scenarios;
                return RunScenariosAsync(options, args, writer, run, ct);
            });
            root.Subcommands.Add(command);
        }

        foreach (var (name, description, run) in Scenarios)
        {
            AddRunCommand(name, description, [run]);
        }

        AddRunCommand(Peer.Name, Peer.Description, [Peer.Run]);
        AddRunCommand("all", "every scenario above (with --peer prometheus: and the peer), one server at a time", Scenarios.Select(s => s.Run).ToArray());

        var a = new Argument<string>("A") { Description = "baseline run (--json file)" };
        var b = new Argument<string>("B") { Description = "new run (--json file)" };
        var compare = new Command("compare", "print the change of every figure between two runs") { a, b };
        compare.SetAction(p => Compare(RunReport.Load(p.GetValue(a)!), RunReport.Load(p.GetValue(b)!), writer));
        root.Subcommands.Add(compare);

        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (var error in parsed.Errors)
            {
                writer.Line("alerting-perf: " + error.Message);
            }

            writer.Line("see --help");
            return CannotRun;
        }

        // Harness failures must keep their own exit code (2), apart from failed checks (1).
        var config = new InvocationConfiguration { EnableDefaultExceptionHandler = false };
        if (output is not null)
        {
            config.Output = output;
            config.Error = output;
        }

        try
        {
            return await parsed.InvokeAsync(config, cancellationToken).ConfigureAwait(false);
        }
        catch (HarnessException e)
        {
            writer.Line("alerting-perf: " + e.Message);
            return CannotRun;
        }
    }

    private static async Task<int> RunScenariosAsync(RunOptions options, string[] args, Output output, Scenario[] scenarios, CancellationToken cancellationToken)
    {
        Validate(options);
        if (!options.OwnsServer)
        {
            options = options with { RunScope = "r" + Guid.NewGuid().ToString("N")[..8] + "." };
        }

        var report = RunReport.Describe(args);
        foreach (var scenario in scenarios)
        {
            if (scenario == RecoveryScenario.RunAsync && !options.OwnsServer && scenarios.Length > 1)
            {
                output.Line("recovery: skipped (it restarts the server, which --target does not allow)");
                continue;
            }

            if (scenario == FailoverScenario.RunAsync && !options.OwnsServer && scenarios.Length > 1)
            {
                output.Line("failover: skipped (it starts and kills a cluster of its own, which --target does not allow)");
                continue;
            }

            try
            {
                report.Scenarios.Add(await scenario(options, output, cancellationToken).ConfigureAwait(false));
            }
            catch (RpcException e)
            {
                throw new HarnessException($"a call to the server failed: {e.Status.StatusCode} {e.Status.Detail}");
            }
        }

        output.Table(report);
        if (options.JsonPath is { } path)
        {
            report.Save(path);
            output.Line($"figures written to {path}");
        }

        output.Line(report.Passed ? "all checks passed" : "FAILED: a check failed (see above); the figures of this run do not count");
        return report.Passed ? Ok : ChecksFailed;
    }

    private static Uri? Address(string? text, string option) =>
        text is null ? null
        : Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" ? uri
        : throw new HarnessException($"{option} must be an http(s) address, was \"{text}\"");

    private static void Validate(RunOptions o)
    {
        void Positive(double value, string name)
        {
            if (value <= 0)
            {
                throw new HarnessException($"{name} must be positive, was {value}");
            }
        }

        Positive(o.Seconds, "--seconds");
        Positive(o.Streams, "--streams");
        Positive(o.Rate, "--rate");
        Positive(o.Series, "--series");
        Positive(o.Batch, "--batch");
        Positive(o.Samples, "--samples");
        Positive(o.SampleRate, "--sample-rate");
        Positive(o.Count, "--count");
        Positive(o.Trials, "--trials");
        Positive(o.WindowPoints, "--window-points");
        Positive(o.Concurrency, "--concurrency");
        Positive(o.IntervalSeconds, "--interval");
        if (o.Batch > 10_000 || o.WindowPoints > 10_000)
        {
            throw new HarnessException("--batch and --window-points must be at most 10 000 (the server's points per request)");
        }

        if (o.RampFactor <= 1 || o.RampSteps < 1)
        {
            throw new HarnessException("--ramp-factor must be above 1 and --ramp-steps at least 1");
        }

        if (o.Monitors < 0 || o.DropAcksEvery < 0 || o.Warmup < 0)
        {
            throw new HarnessException("--monitors, --drop-acks-every and --warmup must not be negative");
        }
    }

    private static int Compare(RunReport a, RunReport b, Output output)
    {
        output.Line($"A: {a.Commit} {a.StartedUtc:u} ({a.Cores} cores)   B: {b.Commit} {b.StartedUtc:u} ({b.Cores} cores)");
        var table = new Table();
        table.AddColumns("figure", "A", "B", "change", "bar", "holds A → B");
        var rows = 0;
        foreach (var sb in b.Scenarios)
        {
            var sa = a.Scenarios.FirstOrDefault(s => s.Scenario == sb.Scenario);
            foreach (var fb in sb.Figures)
            {
                var fa = sa?.Figures.FirstOrDefault(f => f.Id == fb.Id);
                if (fa is null)
                {
                    continue;
                }

                var change = fa.Value == 0 ? (fb.Value == 0 ? "0 %" : "new") : ((fb.Value - fa.Value) / Math.Abs(fa.Value) * 100).ToString("+0.0;-0.0;0.0", CultureInfo.InvariantCulture) + " %";
                table.AddRow(
                    Markup.Escape($"{sb.Scenario} {fb.Name}"),
                    Markup.Escape(Format.Number(fa.Value, fa.Unit)),
                    Markup.Escape(Format.Number(fb.Value, fb.Unit)),
                    change,
                    Markup.Escape(fb.Bar),
                    $"{Holds(fa.Holds)} → {Holds(fb.Holds)}");
                rows++;
            }
        }

        output.Console.Write(table);
        output.Line(rows == 0 ? "no figure appears in both runs" : $"{rows} figures compared");
        return rows == 0 ? ChecksFailed : Ok;

        static string Holds(bool? holds) => holds switch { true => "yes", false => "no", null => "-" };
    }
}
