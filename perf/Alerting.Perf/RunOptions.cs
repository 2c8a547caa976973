using System.Globalization;

namespace Alerting.Perf;

/// <summary>How series spread over metric names.</summary>
internal enum MetricMode
{
    /// <summary>One metric name per 100 000 series (the engine's per-metric series limit), host-tagged.</summary>
    Shared,

    /// <summary>Every series has its own metric name.</summary>
    Distinct,
}

/// <summary>Every option of a run; scenarios read the ones they use and record them in the report.</summary>
internal sealed record RunOptions
{
    /// <summary>Most series one metric may hold on the engine (<c>IngestLimits.DefaultMaxSeriesPerMetric</c>).</summary>
    public const int SeriesPerSharedMetric = 100_000;

    /// <summary>gRPC address of a running server; null starts one.</summary>
    public Uri? Target { get; init; }

    /// <summary>HTTP address (<c>/metrics</c>, <c>/healthz</c>) of the running server.</summary>
    public Uri? TargetHttp { get; init; }

    public string? ServerDll { get; init; }

    public string? ApiKey { get; init; }

    public double Seconds { get; init; } = 20;

    /// <summary>
    /// ingest/schedule/peer: seconds of the same load sent before the measured window starts
    /// (the server creates its series, tiers up its JIT and settles its GC heap); its acks are
    /// checked but not in the figures.
    /// </summary>
    public double Warmup { get; init; } = 5;

    public int Streams { get; init; } = 4;

    /// <summary>Offered points per second across all streams.</summary>
    public int Rate { get; init; } = 300_000;

    public int Series { get; init; } = 100_000;

    public int Batch { get; init; } = 1_000;

    public int Monitors { get; init; }

    public MetricMode Metrics { get; init; } = MetricMode.Shared;

    /// <summary>Evaluation interval of the monitors the harness creates.</summary>
    public int IntervalSeconds { get; init; } = 60;

    /// <summary>M2 transitions.</summary>
    public int Samples { get; init; } = 2_000;

    /// <summary>M2 transitions per second (each measured from its scheduled time).</summary>
    public int SampleRate { get; init; } = 100;

    /// <summary>N for matching, memory and recovery.</summary>
    public int Count { get; init; } = 10_000;

    /// <summary>failover: kill -9 / restart trials.</summary>
    public int Trials { get; init; } = 20;

    /// <summary>Points per series written by memory (spread over the last 5 minutes).</summary>
    public int WindowPoints { get; init; } = 5;

    /// <summary>failover: run with a notification endpoint (a webhook receiver in the harness).</summary>
    public bool Notify { get; init; }

    /// <summary>The harness starts a three-node replicated cluster (not one server) and measures against its primary.</summary>
    public bool Cluster { get; init; }

    /// <summary>ingest: run open-loop steps from <see cref="Rate"/> up, each <see cref="RampFactor"/> times the last, until a step misses the M1 bar.</summary>
    public bool Ramp { get; init; }

    public double RampFactor { get; init; } = 1.5;

    /// <summary>Most steps a ramp runs.</summary>
    public int RampSteps { get; init; } = 6;

    /// <summary>recovery: SIGKILL instead of a graceful stop.</summary>
    public bool Crash { get; init; }

    /// <summary>Concurrent monitor creations.</summary>
    public int Concurrency { get; init; } = 32;

    public string? JsonPath { get; init; }

    /// <summary>The peer's program: a name looked up on PATH, or a path.</summary>
    public string PrometheusBinary { get; init; } = "prometheus";

    /// <summary><c>all --peer prometheus</c> adds the peer scenario.</summary>
    public string? Peer { get; init; }

    /// <summary>Fault injection for the harness's own test: ignore every n-th ack received (0 = off).</summary>
    public int DropAcksEvery { get; init; }

    public bool OwnsServer => Target is null;

    /// <summary>
    /// Against a running server (<c>--target</c>), metric and monitor names carry this run's id,
    /// so a second run's series are new again and its monitor names do not clash; empty on a
    /// server of our own.
    /// </summary>
    public string RunScope { get; init; } = "";

    public Grpc.Core.Metadata Headers()
    {
        var headers = new Grpc.Core.Metadata();
        if (ApiKey is not null)
        {
            headers.Add("authorization", "Bearer " + ApiKey);
        }

        return headers;
    }

    /// <summary>The metric name of series <paramref name="k"/> under <see cref="Metrics"/>.</summary>
    public string MetricOf(string baseName, int k) => RunScope + Metrics switch
    {
        MetricMode.Distinct => baseName + "." + k.ToString(CultureInfo.InvariantCulture),
        _ => k < SeriesPerSharedMetric ? baseName : baseName + "." + (k / SeriesPerSharedMetric).ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>A monitor name unique to this run on the target.</summary>
    public string NameOf(string name) => RunScope + name;

    public static string HostTag(int k) => "host:h" + k.ToString(CultureInfo.InvariantCulture);
}
