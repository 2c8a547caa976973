using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Alerting.Protocol.V1;
using Alerting.Server.Hosting;

namespace Alerting.Server.Ingest.DogStatsd;

/// <summary>
/// DogStatsD over UDP on <see cref="ServerOptions.DogStatsdPort"/> (opt-in): datagrams of
/// newline-separated lines are parsed (<see cref="DogStatsdLine"/>), aggregated
/// (<see cref="DogStatsdAggregator"/>) and, every <see cref="ServerOptions.DogStatsdFlushIntervalMs"/>,
/// written through the same path as every other write, in requests of at most
/// <see cref="ServerOptions.MaxPointsPerRequest"/> points. Bad lines are counted and skipped.
/// UDP has no answer: a flush the engine refuses (ring full, not primary) is counted as a failed
/// flush and its aggregates are dropped, as a StatsD server drops what it cannot forward; neither the
/// receive loop nor the flush ever throws into the host.
/// </summary>
public sealed class DogStatsdListener : BackgroundService
{
    /// <summary>Largest UDP payload.</summary>
    public const int MaxDatagramBytes = 65_507;

    private readonly ServerOptions _options;
    private readonly IngestWriter _writer;
    private readonly TimeProvider _time;
    private readonly DogStatsdAggregator _aggregator;
    private readonly object _lock = new();
    private readonly Meter _meter;
    private Socket? _socket;
    private long _lines;
    private long _badLines;
    private long _droppedLines;
    private long _flushFailures;
    private long _flushes;
    private TaskCompletionSource _received = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public DogStatsdListener(ServerOptions options, IngestWriter writer, TimeProvider time, IMeterFactory meters)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(meters);
        _options = options;
        _writer = writer;
        _time = time;
        _aggregator = new DogStatsdAggregator(options.DogStatsdMaxSeries);
        _meter = meters.Create(ServerMetrics.MeterName);
        _meter.CreateObservableCounter("alerting.dogstatsd.lines", () => Interlocked.Read(ref _lines), description: "DogStatsD lines received");
        _meter.CreateObservableCounter("alerting.dogstatsd.bad_lines", () => Interlocked.Read(ref _badLines), description: "DogStatsD lines skipped as malformed or not taken");
        _meter.CreateObservableCounter("alerting.dogstatsd.dropped_lines", () => Interlocked.Read(ref _droppedLines), description: "DogStatsD lines dropped past DogStatsdMaxSeries");
        _meter.CreateObservableCounter("alerting.dogstatsd.flush_failures", () => Interlocked.Read(ref _flushFailures), description: "DogStatsD flushes the engine refused; their aggregates were dropped");
    }

    /// <summary>The UDP port bound (the configured one, or the free one picked for 0).</summary>
    public int Port => ((IPEndPoint)(_socket ?? throw new InvalidOperationException("not started")).LocalEndPoint!).Port;

    public long Lines => Interlocked.Read(ref _lines);

    public long BadLines => Interlocked.Read(ref _badLines);

    public long DroppedLines => Interlocked.Read(ref _droppedLines);

    public long FlushFailures => Interlocked.Read(ref _flushFailures);

    public long Flushes => Interlocked.Read(ref _flushes);

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        var address = IPAddress.Parse(_options.BindAddress);
        _socket = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        _socket.Bind(new IPEndPoint(address, _options.DogStatsdPort ?? 0));
        return base.StartAsync(cancellationToken);
    }

    public override void Dispose()
    {
        _socket?.Dispose();
        _meter.Dispose();
        base.Dispose();
    }

    /// <summary>Completes once at least <paramref name="lines"/> lines (good or bad) have been received: tests wait on it instead of sleeping.</summary>
    internal async Task WaitForLinesAsync(long lines, CancellationToken cancellation)
    {
        while (true)
        {
            Task next;
            lock (_lock)
            {
                if (_lines >= lines)
                {
                    return;
                }

                next = _received.Task;
            }

            await next.WaitAsync(cancellation).ConfigureAwait(false);
        }
    }

    /// <summary>Writes the interval's aggregates now; the periodic flush calls it, tests may too.</summary>
    internal async Task<long> FlushAsync()
    {
        List<Point> points;
        lock (_lock)
        {
            points = _aggregator.Flush(_time.GetUtcNow().ToUnixTimeMilliseconds());
        }

        var accepted = 0L;
        for (var start = 0; start < points.Count; start += _options.MaxPointsPerRequest)
        {
            var request = new WriteRequest();
            request.Points.AddRange(points.Skip(start).Take(_options.MaxPointsPerRequest));
            accepted += (await _writer.WriteAsync(request, Api.WriteClients.DogStatsd).ConfigureAwait(false)).Accepted;
        }

        Interlocked.Increment(ref _flushes);
        return accepted;
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(Task.Run(() => ReceiveLoop(stoppingToken), stoppingToken), FlushLoop(stoppingToken));

    private async Task ReceiveLoop(CancellationToken stopping)
    {
        var buffer = new byte[MaxDatagramBytes];
        while (!stopping.IsCancellationRequested)
        {
            int length;
            try
            {
                length = await _socket!.ReceiveAsync(buffer, SocketFlags.None, stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (SocketException e)
            {
                // An ICMP "port unreachable" from an earlier send, or a transient error: keep serving.
                Console.Error.WriteLine($"alerting: dogstatsd receive failed: {e.Message}");
                continue;
            }
            catch (ObjectDisposedException)
            {
                // The socket closed under a stopping host.
                return;
            }

#pragma warning disable CA1031 // A background loop records its fault and stops; it never throws into the host.
            try
            {
                Receive(Encoding.UTF8.GetString(buffer, 0, length));
            }
            catch (Exception e)
            {
                Console.Error.WriteLine($"alerting: dogstatsd listener stopped after an unexpected fault: {e}");
                return;
            }
#pragma warning restore CA1031
        }
    }

    private void Receive(string datagram)
    {
        lock (_lock)
        {
            foreach (var raw in datagram.Split('\n'))
            {
                var line = raw.AsSpan().TrimEnd('\r');
                if (line.IsEmpty)
                {
                    continue;
                }

                _lines++;
                if (!DogStatsdLine.TryParse(line, out var parsed, out _))
                {
                    _badLines++;
                }
                else if (!_aggregator.Add(parsed))
                {
                    _droppedLines++;
                }
            }

            _received.TrySetResult();
            _received = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }

    private async Task FlushLoop(CancellationToken stopping)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(_options.DogStatsdFlushIntervalMs), _time);
        try
        {
            while (await timer.WaitForNextTickAsync(stopping).ConfigureAwait(false))
            {
                try
                {
                    await FlushAsync().ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    Interlocked.Increment(ref _flushFailures);
                    Console.Error.WriteLine($"alerting: dogstatsd flush dropped: {e.Message}");
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }
}
