using System.Net;
using Alerting.Engine.Pipeline;
using Alerting.Server.Api;
using Alerting.Server.Ingest;
using Alerting.Server.Ingest.Datadog;
using Alerting.Server.Ingest.DogStatsd;
using Alerting.Server.Ingest.Otlp;
using Alerting.Server.Ingest.Prometheus;
using Alerting.Server.Notifications;
using Alerting.Server.Security;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using OpenTelemetry.Metrics;

namespace Alerting.Server.Hosting;

/// <summary>
/// One running server: the engine node and the Kestrel host in front of it. gRPC is served on
/// <see cref="ServerOptions.GrpcPort"/> (HTTP/2 without TLS, so clients use prior knowledge);
/// JSON transcoding, <c>/livez</c>, <c>/readyz</c> (and <c>/healthz</c>, the same as <c>/readyz</c>) and <c>/metrics</c> on <see cref="ServerOptions.HttpPort"/>
/// (HTTP/1.1: HTTP/2 without TLS needs prior knowledge, which curl and browsers do not assume). Stopping stops Kestrel first, then disposes the node, which drains the
/// input ring, commits and writes a snapshot.
/// </summary>
public sealed class ServerHost : IAsyncDisposable
{
    /// <summary>Longest wait for the engine's first clock tick after opening.</summary>
    public static readonly TimeSpan FirstTickTimeout = TimeSpan.FromSeconds(10);

    /// <summary>
    /// HTTP request bodies may be this many times <see cref="ServerOptions.MaxMessageBytes"/>:
    /// JSON spells out field names and numbers, so the same message takes a few times the bytes
    /// of protobuf; gRPC's own per-message limit is the exact one.
    /// </summary>
    public const int JsonBodyExpansion = 4;

    /// <summary>How long a graceful stop waits for calls in progress (subscriptions end at once) before the node is drained.</summary>
    public static readonly TimeSpan ShutdownTimeout = TimeSpan.FromSeconds(10);

    private readonly WebApplication _app;
    private readonly EngineNode? _node;
    private readonly Replication.Replicator? _replicator;
    private int _stopped;

    private ServerHost(WebApplication app, EngineNode? node, Replication.Replicator? replicator, string dataDirectory, Uri grpcAddress, Uri httpAddress)
    {
        _app = app;
        _node = node;
        _replicator = replicator;
        DataDirectory = dataDirectory;
        GrpcAddress = grpcAddress;
        HttpAddress = httpAddress;
    }

    public string DataDirectory { get; }

    /// <summary>gRPC endpoint (HTTP/2, plain text).</summary>
    public Uri GrpcAddress { get; }

    /// <summary>HTTP/1.1 endpoint: JSON API under <c>/v1</c>, <c>/healthz</c>, <c>/metrics</c>.</summary>
    public Uri HttpAddress { get; }

    /// <summary>The engine node, for tests that read state the API does not show (the delivery ledger).</summary>
    internal EngineNode Node => _node ?? throw new InvalidOperationException("a witness runs no engine");

    /// <summary>
    /// The host stopped because its replicated log diverged from the primary's: the caller starts
    /// it again on the same options, and the new start sets the data aside and rejoins empty.
    /// </summary>
    public bool ResyncRequested { get; private set; }

    /// <summary>What the engine recovered at open (null on a witness, which has no engine).</summary>
    internal RecoveryReport? Recovery => _node?.Recovery;

    /// <summary>The replication shell when this node is a member of a cluster (<see cref="ServerOptions.Peers"/>), else null.</summary>
    internal Replication.Replicator? Replicator => _replicator;

    /// <summary>What became of the engine settings the configuration names (null on a witness).</summary>
    internal EngineSettingsProposer? SettingsProposer => _app.Services.GetService<EngineSettingsProposer>();

    /// <summary>The DogStatsD listener, when <see cref="ServerOptions.DogStatsdPort"/> is set.</summary>
    internal DogStatsdListener? DogStatsd => _app.Services.GetService<DogStatsdListener>();

    /// <summary>The group counts behind <c>alerting_groups</c>, for tests that wait for a fresh count.</summary>
    internal GroupStateCensus Census => _app.Services.GetRequiredService<GroupStateCensus>();

    /// <summary>Whether this server runs notification delivery (only a primary does; a cluster member while it leads a term).</summary>
    internal bool SendsNotifications => _app.Services.GetServices<IHostedService>().OfType<NotificationService>().Any(s => _replicator is null || s.RunningTerm is not null);

    /// <summary>Opens the engine (recovering its data folder) and starts listening.</summary>
    /// <exception cref="ServerOptionsException">The options are unusable; the message says why.</exception>
    public static Task<ServerHost> StartAsync(ServerOptions options, CancellationToken cancellationToken = default) =>
        StartAsync(options, TimeProvider.System, EngineNode.Open, cancellationToken);

    /// <summary>
    /// Starts with <paramref name="time"/> as the wall clock the engine's ticks read: tests pass a
    /// fake one and move logical time by advancing it (the API opens after the first tick).
    /// </summary>
    internal static Task<ServerHost> StartAsync(ServerOptions options, TimeProvider time, CancellationToken cancellationToken) =>
        StartAsync(options, time, EngineNode.Open, cancellationToken);

    /// <summary>Same, opening the node with <paramref name="openNode"/> (fault tests give it a fault-injecting journal).</summary>
    internal static Task<ServerHost> StartAsync(ServerOptions options, Func<EngineOptions, EngineNode> openNode, CancellationToken cancellationToken = default) =>
        StartAsync(options, TimeProvider.System, openNode, cancellationToken);

    private static async Task<ServerHost> StartAsync(ServerOptions options, TimeProvider time, Func<EngineOptions, EngineNode> openNode, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        var address = options.Validate();
        var dataDirectory = Path.GetFullPath(options.DataDirectory);
        Directory.CreateDirectory(dataDirectory);

        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.AddConsole();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        // The host logs "Hosting failed to start" with a stack trace at Error; the caller reports a
        // refusal to start as one line with an exit code (StartupFailure). A faulted background
        // service is still logged: the host's "stopping the host" event for it is Critical.
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.Critical);

        ListenOptions? grpc = null;
        ListenOptions? http = null;
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
        {
            kestrel.Limits.MaxRequestBodySize = (long)options.MaxMessageBytes * JsonBodyExpansion;
            kestrel.Listen(address, options.GrpcPort, l =>
            {
                l.Protocols = HttpProtocols.Http2;
                UseTls(l, options);
                grpc = l;
            });
            kestrel.Listen(address, options.HttpPort, l =>
            {
                l.Protocols = HttpProtocols.Http1;
                UseTls(l, options);
                http = l;
            });
        });
        builder.WebHost.UseShutdownTimeout(ShutdownTimeout);
        UseServiceManagerNotifications(builder.Services);

        var latency = new LatencyHistograms();
        var engineOptions = new EngineOptions
        {
            OnJournalCommit = latency.Committed,
            DataDirectory = dataDirectory,
            InputRingSize = options.InputRingSize,
            ApplyBacklogBudget = TimeSpan.FromMilliseconds(options.ApplyBacklogBudgetMs),
            MaxAdmissionWaiting = options.MaxAdmissionWaiting,
            MaxAdmissionWait = TimeSpan.FromMilliseconds(options.MaxAdmissionWaitMs),
            SnapshotEveryEntries = options.SnapshotEveryEntries,
            TimeProvider = time,
            Role = options.Role,
            ForceEmpty = options.ForceEmpty,
            // Surfaced at once: this line, the snapshot-failure metric and a degraded /readyz.
            OnSnapshotFailed = failure => Console.Error.WriteLine($"alerting: warning: {failure.Message}; the node keeps running on its journal, which is not truncated until a snapshot succeeds"),
        };
        var cluster = options.IsReplicated ? Replication.ClusterSettings.From(options) : null;
        Replication.Replicator? replicator = null;
        EngineNode? node;
        if (cluster is null)
        {
            node = openNode(engineOptions);
        }
        else if (cluster.SelfKind == Alerting.Replication.MemberKind.Witness)
        {
            replicator = Replication.Replicator.OpenWitness(cluster, dataDirectory, options.MaxMessageBytes, Console.WriteLine);
            node = null;
        }
        else
        {
            replicator = Replication.Replicator.OpenData(cluster, engineOptions, openNode, time, options.MaxMessageBytes, Console.WriteLine, options.RetainedEntries);
            node = replicator.Node;
        }

        WebApplication? app = null;
        try
        {
            if (node is not null && cluster is null && node.Role == NodeRole.Primary)
            {
                // A standby's time comes with the primary's ticks; a replicated primary proposes a tick as its first entry.
                await WaitForCurrentTime(node, time, cancellationToken).ConfigureAwait(false);
            }

            var services = builder.Services;
            services.AddRouting();
            services.AddSingleton(options);
            if (replicator is not null)
            {
                services.AddSingleton(replicator);
            }

            if (node is null)
            {
                app = BuildWitness(builder, options);
                await app.StartAsync(cancellationToken).ConfigureAwait(false);
                replicator!.Start();
                return new ServerHost(app, node: null, replicator, dataDirectory, Address(grpc!, options.UsesTls), Address(http!, options.UsesTls));
            }

            services.AddSingleton(node);
            services.AddSingleton<EngineCalls>();
            services.AddSingleton<EngineSettingsProposer>();
            services.AddSingleton<JournalBacktest>();
            services.AddSingleton<EngineCountersSampler>();
            services.AddHostedService(provider => provider.GetRequiredService<EngineCountersSampler>());
            services.AddSingleton(latency);
            services.AddSingleton<ServerMetrics>();
            services.AddSingleton<GroupStateCensus>();
            services.AddHostedService(provider => provider.GetRequiredService<GroupStateCensus>());
            services.AddSingleton<IngestStreamSlots>();
            services.AddSingleton<SubscriptionSlots>();
            services.AddSingleton<ApiKeyRing>();
            services.AddSingleton<ApiKeyInterceptor>();
            services.AddSingleton<IngestWriter>();
            services.AddSingleton<HttpIngest>();
            services.AddSingleton(new CumulativeDeltas());
            services.AddSingleton<OtlpMetricsService>();
            services.AddSingleton<PrometheusAlertsReader>();
            services.AddSingleton<StatusPageReader>();
            if (options.DogStatsdPort is not null && options.Role == NodeRole.Primary)
            {
                // Only a primary takes writes: a standby leaves the port closed rather than count lines it could never write.
                services.AddSingleton(time);
                services.AddSingleton<DogStatsdListener>();
                services.AddHostedService(provider => provider.GetRequiredService<DogStatsdListener>());
            }

            services.AddSingleton<NotificationService>();
            if (cluster is not null || options.Role == NodeRole.Primary)
            {
                // Only the primary notifies (DESIGN invariant 4): a single primary at once; a cluster member while it
                // leads a term (the service follows the replicator's role). A standalone standby's outbox is never run.
                services.AddHostedService(provider => provider.GetRequiredService<NotificationService>());
            }
            services.AddGrpc(grpcOptions =>
            {
                grpcOptions.MaxReceiveMessageSize = options.MaxMessageBytes;
                grpcOptions.MaxSendMessageSize = options.MaxMessageBytes;
                grpcOptions.Interceptors.Add<ApiKeyInterceptor>();
                grpcOptions.Interceptors.Add<TooLargeStatusInterceptor>();
            }).AddJsonTranscoding();
            services.AddHealthChecks().AddCheck<EngineHealthCheck>("engine").AddCheck<HistoryHealthCheck>("history");
            // "System.Runtime" is the runtime's own meter (working set, GC heap, allocations, CPU time),
            // read by the perf harness for memory per monitor and per series.
            services.AddOpenTelemetry().WithMetrics(metrics => metrics.AddMeter(ServerMetrics.MeterName, "System.Runtime").AddPrometheusExporter());

            app = builder.Build();
            app.UseRouting();
            app.MapGrpcService<IngestService>();
            app.MapGrpcService<MonitorsService>();
            app.MapGrpcService<DowntimesService>();
            app.MapGrpcService<AlertsService>();
            app.MapGrpcService<ClusterService>();
            app.MapGrpcService<NotificationsService>();
            app.MapGrpcService<AdminService>();
            app.MapGrpcService<OtlpMetricsService>();
            if (replicator is not null)
            {
                app.MapGrpcService<Replication.ReplicationService>();
            }

            // Liveness runs no check: a faulted node is alive (it answers reads) but not ready.
            app.MapHealthChecks("/livez", new Microsoft.AspNetCore.Diagnostics.HealthChecks.HealthCheckOptions { Predicate = _ => false });
            app.MapHealthChecks("/readyz");
            app.MapHealthChecks("/healthz");
            app.MapPrometheusScrapingEndpoint("/metrics");
            RemoteWriteEndpoint.Map(app);
            OtlpMetricsService.MapHttp(app);
            DatadogSeriesEndpoint.Map(app);
            PrometheusReadApi.Map(app);
            StatusPage.Map(app);
            StatusPageGroup.Map(app);
            StatusPageEvents.Map(app);
            // Created now so the node gauges are exported from the first scrape, before any ingest.
            _ = app.Services.GetRequiredService<ServerMetrics>();

            await app.StartAsync(cancellationToken).ConfigureAwait(false);
            var host = new ServerHost(app, node, replicator, dataDirectory, Address(grpc!, options.UsesTls), Address(http!, options.UsesTls));
            var settings = app.Services.GetRequiredService<EngineSettingsProposer>();
            if (replicator is not null)
            {
                // A member writes the configured engine settings each time it becomes the primary.
                replicator.Observe(settings);
                replicator.Start();
                _ = replicator.ResyncRequired.ContinueWith(
                    _ =>
                    {
                        host.ResyncRequested = true;
                        app.Lifetime.StopApplication();
                    },
                    CancellationToken.None,
                    TaskContinuationOptions.OnlyOnRanToCompletion,
                    TaskScheduler.Default);
            }
            else if (node.Role == NodeRole.Primary)
            {
                await settings.ProposeAsync().ConfigureAwait(false);
            }

            return host;
        }
        catch
        {
            if (app is not null)
            {
                await app.DisposeAsync().ConfigureAwait(false);
            }

            if (replicator is not null)
            {
                await replicator.DisposeAsync().ConfigureAwait(false);
            }

            node?.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Under systemd (<c>Type=notify</c>, deploy/systemd/alerting.service) the host tells the
    /// service manager READY=1 once it has started, which is after the data folder is recovered and
    /// the ports listen (<see cref="StartAsync(ServerOptions, CancellationToken)"/> opens the node first),
    /// and STOPPING=1 when it begins to stop; SIGTERM stops it as it does without systemd. Any
    /// other supervisor that sets <c>NOTIFY_SOCKET</c> gets the same messages.
    /// </summary>
    private static void UseServiceManagerNotifications(IServiceCollection services)
    {
        services.AddSystemd();
        if (!Microsoft.Extensions.Hosting.Systemd.SystemdHelpers.IsSystemdService() && Environment.GetEnvironmentVariable("NOTIFY_SOCKET") is { Length: > 0 })
        {
            services.AddSingleton<Microsoft.Extensions.Hosting.Systemd.ISystemdNotifier, Microsoft.Extensions.Hosting.Systemd.SystemdNotifier>();
            services.AddSingleton<IHostLifetime, Microsoft.Extensions.Hosting.Systemd.SystemdLifetime>();
        }
    }

    /// <summary>The witness's host: the replication service, <c>Cluster.Status</c>, writes refused with the primary's address, and liveness.</summary>
    private static WebApplication BuildWitness(WebApplicationBuilder builder, ServerOptions options)
    {
        builder.Services.AddGrpc(grpcOptions =>
        {
            grpcOptions.MaxReceiveMessageSize = options.MaxMessageBytes;
            grpcOptions.MaxSendMessageSize = options.MaxMessageBytes;
        }).AddJsonTranscoding();
        builder.Services.AddHealthChecks();
        var app = builder.Build();
        app.UseRouting();
        app.MapGrpcService<Replication.ReplicationService>();
        app.MapGrpcService<ClusterService>();
        app.MapGrpcService<Replication.WitnessIngestService>();
        app.MapHealthChecks("/livez");
        app.MapHealthChecks("/readyz");
        return app;
    }

    /// <summary>Completes when the host is asked to stop (SIGTERM, Ctrl-C).</summary>
    public Task WaitForShutdownAsync(CancellationToken cancellationToken = default) => _app.WaitForShutdownAsync(cancellationToken);

    /// <summary>Graceful stop: Kestrel ends calls, then the node drains, commits and snapshots.</summary>
    public async Task StopAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0)
        {
            return;
        }

        try
        {
            await _app.StopAsync().ConfigureAwait(false);
            await _app.DisposeAsync().ConfigureAwait(false);
        }
        finally
        {
            try
            {
                if (_replicator is not null)
                {
                    await _replicator.DisposeAsync().ConfigureAwait(false);
                }
            }
            finally
            {
                _node?.Dispose();
            }
        }
    }

    public ValueTask DisposeAsync() => new(StopAsync());

    /// <summary>
    /// Points are judged against logical time, which only ticks move: until the first tick
    /// after opening is applied, logical time is 0 (a new folder) or the last run's, and fresh
    /// points would be refused as too far in the future. So the API opens only after it.
    /// </summary>
    private static async Task WaitForCurrentTime(EngineNode node, TimeProvider time, CancellationToken cancellationToken)
    {
        var openedAtMs = time.GetUtcNow().ToUnixTimeMilliseconds();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(FirstTickTimeout);
        try
        {
            while (true)
            {
                var applied = node.Progress.AppliedIndex;
                var logicalMs = await (node.TryQuery(state => state.LogicalTimeMs) ?? Task.FromResult(0L)).ConfigureAwait(false);
                if (logicalMs >= openedAtMs)
                {
                    return;
                }

                await node.Progress.WaitForAsync(applied + 1, timeout.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new InvalidOperationException($"the engine applied no clock tick within {FirstTickTimeout.TotalSeconds} s of opening");
        }
    }

    private static void UseTls(ListenOptions listen, ServerOptions options)
    {
        if (options.UsesTls)
        {
            listen.UseHttps(options.TlsCertificatePath, options.TlsCertificatePassword.Length > 0 ? options.TlsCertificatePassword : null);
        }
    }

    private static Uri Address(ListenOptions listen, bool tls)
    {
        var endpoint = listen.IPEndPoint!;
        var host = endpoint.Address.Equals(IPAddress.Any) ? "127.0.0.1"
            : endpoint.Address.Equals(IPAddress.IPv6Any) ? "[::1]"
            : endpoint.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{endpoint.Address}]"
            : endpoint.Address.ToString();
        return new Uri($"{(tls ? "https" : "http")}://{host}:{endpoint.Port}");
    }
}
