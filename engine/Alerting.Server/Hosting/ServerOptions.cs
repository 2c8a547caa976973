using System.Net;
using Alerting.Engine.Pipeline;
using Alerting.Server.Notifications;

namespace Alerting.Server.Hosting;

/// <summary>
/// Settings of the server host, bound from configuration (settings file, <c>ALERTING_</c>
/// environment variables, command-line flags). Every limit is named here.
/// </summary>
public sealed class ServerOptions
{
    public const int DefaultGrpcPort = 7700;

    public const int DefaultHttpPort = 7701;

    /// <summary>Largest gRPC message accepted or sent, and largest HTTP/JSON request body.</summary>
    public const int DefaultMaxMessageBytes = 16 * 1024 * 1024;

    /// <summary>Points plus check runs in one write request; more is INVALID_ARGUMENT (split the batch).</summary>
    public const int DefaultMaxPointsPerRequest = 10_000;

    public const int DefaultMaxSubscriptions = 256;

    public const int DefaultMaxWriteStreams = 256;

    /// <summary>Write requests of one stream published but not yet acknowledged; the stream stops reading beyond it.</summary>
    public const int DefaultMaxWritesInFlightPerStream = 64;

    /// <summary>How often DogStatsD aggregates are written (the Datadog Agent's default).</summary>
    public const int DefaultDogStatsdFlushIntervalMs = 10_000;

    /// <summary>DogStatsD series aggregated in one flush interval; lines for more are dropped and counted.</summary>
    public const int DefaultDogStatsdMaxSeries = 100_000;

    /// <summary>Default <see cref="ApplyBacklogBudgetMs"/>.</summary>
    public const double DefaultApplyBacklogBudgetMs = 5;

    /// <summary>Data folder; relative paths are taken from the current directory.</summary>
    public string DataDirectory { get; set; } = "data";

    /// <summary>IP address to listen on. Anything but loopback requires API keys.</summary>
    public string BindAddress { get; set; } = "127.0.0.1";

    /// <summary>gRPC port (HTTP/2 without TLS, prior knowledge); 0 picks a free port.</summary>
    public int GrpcPort { get; set; } = DefaultGrpcPort;

    /// <summary>HTTP/1.1 port for JSON transcoding, <c>/healthz</c> and <c>/metrics</c>; 0 picks a free port.</summary>
    public int HttpPort { get; set; } = DefaultHttpPort;

    /// <summary>
    /// UDP port for DogStatsD (<c>--dogstatsd-port</c>); unset, it is off. 0 picks a free port.
    /// Bound on <see cref="BindAddress"/>. UDP carries no API key: bind loopback or firewall it.
    /// </summary>
    public int? DogStatsdPort { get; set; }

    public int DogStatsdFlushIntervalMs { get; set; } = DefaultDogStatsdFlushIntervalMs;

    public int DogStatsdMaxSeries { get; set; } = DefaultDogStatsdMaxSeries;

    public string NodeId { get; set; } = "node-1";

    /// <summary>
    /// The node's role (<c>--role primary|standby</c>). Only a primary takes writes, runs the
    /// tick clock and sends notifications; a standby answers writes UNAVAILABLE. The witness
    /// role arrives with replication and is refused until then.
    /// </summary>
    public NodeRole Role { get; set; } = NodeRole.Primary;

    /// <summary>
    /// The cluster's voters, <c>id=gRPC address</c> separated by commas, this node included
    /// (<c>--peers 1=http://127.0.0.1:7101,2=http://127.0.0.1:7102,3=http://127.0.0.1:7103</c>; the settings key
    /// is <c>Peers</c>). Empty: a single node (durability <c>local</c>). When set, durability is
    /// <c>replicated</c>, <see cref="NodeId"/> must be this node's id among them, and the data members
    /// elect the primary among themselves (<see cref="Role"/> only tells a witness from a data member).
    /// </summary>
    public string Peers { get; set; } = string.Empty;

    /// <summary>Id of the witness among <see cref="Peers"/> (<c>--witness 3</c>); 0 for none (every member holds data).</summary>
    public int WitnessId { get; set; }

    /// <summary>Whether <see cref="Peers"/> makes this node a member of a replicated cluster.</summary>
    public bool IsReplicated => Peers.Length > 0;

    /// <summary>
    /// Optional TLS: a PKCS#12 (.pfx) certificate file. When set, both ports serve HTTPS
    /// (gRPC then negotiates HTTP/2 by ALPN). Empty = plain HTTP.
    /// </summary>
    public string TlsCertificatePath { get; set; } = string.Empty;

    /// <summary>Password of <see cref="TlsCertificatePath"/>, if it has one.</summary>
    public string TlsCertificatePassword { get; set; } = string.Empty;

    public bool UsesTls => TlsCertificatePath.Length > 0;

    /// <summary>API keys; when empty, every call is allowed and only loopback may be bound.</summary>
    public List<ApiKeyOptions> ApiKeys { get; } = [];

    public int MaxMessageBytes { get; set; } = DefaultMaxMessageBytes;

    public int MaxPointsPerRequest { get; set; } = DefaultMaxPointsPerRequest;

    /// <summary>Concurrent <c>Alerts.Subscribe</c> streams; one more is RESOURCE_EXHAUSTED.</summary>
    public int MaxSubscriptions { get; set; } = DefaultMaxSubscriptions;

    /// <summary>Concurrent <c>Ingest.Write</c> streams; one more is RESOURCE_EXHAUSTED.</summary>
    public int MaxWriteStreams { get; set; } = DefaultMaxWriteStreams;

    public int MaxWritesInFlightPerStream { get; set; } = DefaultMaxWritesInFlightPerStream;

    /// <summary>
    /// Write admission (docs/performance.md, "Write admission"): client writes admitted and not yet
    /// applied may hold at most this many milliseconds of estimated apply work; more waits, one
    /// client connection's write per turn. 0 admits one write at a time.
    /// </summary>
    public double ApplyBacklogBudgetMs { get; set; } = DefaultApplyBacklogBudgetMs;

    /// <summary>Writes that may wait for admission at once; one more is RESOURCE_EXHAUSTED at once.</summary>
    public int MaxAdmissionWaiting { get; set; } = EngineOptions.DefaultMaxAdmissionWaiting;

    /// <summary>Longest a write waits for admission before it is RESOURCE_EXHAUSTED (nothing written).</summary>
    public int MaxAdmissionWaitMs { get; set; } = (int)EngineOptions.DefaultMaxAdmissionWait.TotalMilliseconds;

    /// <summary>Input ring slots (a power of two); a full ring answers RESOURCE_EXHAUSTED.</summary>
    public int InputRingSize { get; set; } = EngineOptions.DefaultInputRingSize;

    /// <summary>Applied entries between two snapshots of the state (0: none); after each, the journal is truncated before the older of the two newest.</summary>
    public long SnapshotEveryEntries { get; set; } = EngineOptions.DefaultSnapshotEveryEntries;

    /// <summary>
    /// In a cluster: entries the primary keeps in memory below its applied index for a replica that
    /// lags; a replica that needs an older one is sent the primary's snapshot (docs/replication.md).
    /// </summary>
    public long RetainedEntries { get; set; } = Replication.Replicator.DefaultRetainedEntries;

    /// <summary>
    /// Start empty even though the data folder's manifest says it held data (its journal is gone
    /// or damaged): the old data is moved aside into <c>discarded-*</c> and a warning is printed.
    /// Flag <c>--force-empty</c>. Only for an operator who means it.
    /// </summary>
    public bool ForceEmpty { get; set; }

    /// <summary>Notification endpoints and routing (docs/notifications.md, "Server configuration").</summary>
    public NotificationOptions Notifications { get; } = new();

    /// <summary>Bounds of <c>Monitors.Backtest</c> (docs/cli.md, "alertctl backtest").</summary>
    public Api.BacktestOptions Backtest { get; } = new();

    /// <summary>
    /// Engine settings (series retention, step budgets) the primary writes to the log at start when
    /// the log's differ (docs/state-processor.md, "Engine settings"). Unset: the log's are kept.
    /// </summary>
    public EngineSettingsOptions EngineSettings { get; } = new();

    /// <summary>Checks the settings; throws <see cref="ServerOptionsException"/> with an actionable message.</summary>
    public IPAddress Validate()
    {
        if (!IPAddress.TryParse(BindAddress, out var address))
        {
            throw new ServerOptionsException($"BindAddress \"{BindAddress}\" is not an IP address (use 127.0.0.1, ::1, 0.0.0.0, ...)");
        }

        if (!IPAddress.IsLoopback(address) && ApiKeys.Count == 0)
        {
            throw new ServerOptionsException(
                $"refusing to listen on {address} without API keys: configure ApiKeys (e.g. ALERTING_ApiKeys__0__Key and ALERTING_ApiKeys__0__Scopes__0=admin) or bind 127.0.0.1");
        }

        CheckPort(GrpcPort, nameof(GrpcPort));
        CheckPort(HttpPort, nameof(HttpPort));
        if (GrpcPort != 0 && GrpcPort == HttpPort)
        {
            throw new ServerOptionsException($"GrpcPort and HttpPort must differ, both are {GrpcPort}");
        }

        if (DogStatsdPort is { } dogStatsd)
        {
            CheckPort(dogStatsd, nameof(DogStatsdPort));
        }

        CheckPositive(DogStatsdFlushIntervalMs, nameof(DogStatsdFlushIntervalMs));
        CheckPositive(DogStatsdMaxSeries, nameof(DogStatsdMaxSeries));
        CheckPositive(MaxMessageBytes, nameof(MaxMessageBytes));
        CheckPositive(MaxPointsPerRequest, nameof(MaxPointsPerRequest));
        CheckPositive(MaxSubscriptions, nameof(MaxSubscriptions));
        CheckPositive(MaxWriteStreams, nameof(MaxWriteStreams));
        CheckPositive(MaxWritesInFlightPerStream, nameof(MaxWritesInFlightPerStream));
        if (!(ApplyBacklogBudgetMs >= 0 && ApplyBacklogBudgetMs <= 60_000))
        {
            throw new ServerOptionsException($"ApplyBacklogBudgetMs must be 0 (one write at a time) to 60000 milliseconds, was {ApplyBacklogBudgetMs}");
        }

        if (MaxAdmissionWaiting < 0)
        {
            throw new ServerOptionsException($"MaxAdmissionWaiting must be 0 (refuse whenever the backlog is full) or positive, was {MaxAdmissionWaiting}");
        }

        if (MaxAdmissionWaitMs is <= 0 or > 86_400_000)
        {
            throw new ServerOptionsException($"MaxAdmissionWaitMs must be 1 to 86400000 milliseconds, was {MaxAdmissionWaitMs}");
        }

        if (InputRingSize <= 0 || (InputRingSize & (InputRingSize - 1)) != 0)
        {
            throw new ServerOptionsException($"InputRingSize must be a power of two, was {InputRingSize}");
        }

        if (SnapshotEveryEntries < 0)
        {
            throw new ServerOptionsException($"SnapshotEveryEntries must be 0 (no snapshots) or positive, was {SnapshotEveryEntries}");
        }

        if (RetainedEntries <= 0)
        {
            throw new ServerOptionsException($"RetainedEntries must be positive, was {RetainedEntries}");
        }

        if (IsReplicated)
        {
            _ = Replication.ClusterSettings.From(this);
        }
        else if (Role is not (NodeRole.Primary or NodeRole.Standby))
        {
            throw new ServerOptionsException($"Role {Role} needs a cluster: a witness runs only with --peers");
        }

        if (string.IsNullOrWhiteSpace(DataDirectory))
        {
            throw new ServerOptionsException("DataDirectory must be set");
        }

        foreach (var key in ApiKeys)
        {
            key.Validate();
        }

        Notifications.Validate();
        Backtest.Validate();
        EngineSettings.Validate();
        if (UsesTls && !File.Exists(TlsCertificatePath))
        {
            throw new ServerOptionsException($"TlsCertificatePath \"{TlsCertificatePath}\" does not exist");
        }

        return address;
    }

    private static void CheckPort(int port, string name)
    {
        if (port is < 0 or > 65535)
        {
            throw new ServerOptionsException($"{name} must be 0 to 65535, was {port}");
        }
    }

    private static void CheckPositive(int value, string name)
    {
        if (value <= 0)
        {
            throw new ServerOptionsException($"{name} must be positive, was {value}");
        }
    }
}
