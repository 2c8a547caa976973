using Alerting.Engine.Journal;
using Alerting.Engine.Monitors;
using Alerting.Engine.StateMachine;
using Alerting.Protocol.Log;
using Alerting.Protocol.V1;
using Grpc.Core;
using Monitor = Alerting.Protocol.Log.Monitor;

namespace Alerting.Server.Api;

/// <summary>
/// <c>Monitors.Backtest</c>: reads this node's journal from the oldest entry it keeps, on a
/// thread-pool task (never the state-machine thread, which it only asks once for the logical time
/// and the ingest limits), and replays the Tick, Points and CheckRuns entries from the warm-up start
/// to <c>to_unix_ms</c> through a <see cref="Backtest"/>: a private engine holding only the candidate.
/// Live state, monitors and history are never touched. Bounded by <see cref="BacktestOptions"/> and
/// the request's <c>max_transitions</c>; honours the call's cancellation and deadline. A standby serves
/// it too, from what its own journal holds (it may lag the primary by its replication lag).
/// </summary>
public sealed class JournalBacktest
{
    /// <summary>Entries read between two looks at the call's cancellation.</summary>
    private const int CancellationCheckEntries = 1_024;

    private readonly EngineCalls _engine;
    private readonly BacktestOptions _options;
    private int _running;

    public JournalBacktest(EngineCalls engine, Hosting.ServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _engine = engine;
        _options = options.Backtest;
    }

    /// <exception cref="RpcException">INVALID_ARGUMENT naming the field; RESOURCE_EXHAUSTED naming the limit; CANCELLED; ABORTED when a snapshot truncated the journal under the scan.</exception>
    public async Task<BacktestResponse> RunAsync(BacktestRequest request, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (MonitorsService.ValidationError(request.Monitor) is { } error)
        {
            throw Invalid(error.Field.Length == 0 ? $"monitor: {error.Message}" : $"monitor.{error.Field}: {error.Message}");
        }

        if (Backtest.Refusal(request.Monitor) is { } refusal)
        {
            throw Invalid($"monitor.{refusal}");
        }

        if (request.MaxTransitions is < 0 or > BacktestOptions.MaxTransitionsLimit)
        {
            throw Invalid($"max_transitions: must be 0 (default {BacktestOptions.DefaultMaxTransitions}) to {BacktestOptions.MaxTransitionsLimit}, was {request.MaxTransitions}");
        }

        if (request.FromUnixMs <= 0)
        {
            throw Invalid($"from_unix_ms: must be a positive Unix time in milliseconds, was {request.FromUnixMs}");
        }

        if (request.ToUnixMs < 0)
        {
            throw Invalid($"to_unix_ms: must be a Unix time in milliseconds, or 0 for now; was {request.ToUnixMs}");
        }

        // As the monitors API does: options left out get Datadog's defaults, so the candidate behaves as it would once applied.
        var candidate = MonitorDefaults.Apply(request.Monitor);
        var (nowMs, limits) = await _engine.Query(state => (state.LogicalTimeMs, state.Limits)).ConfigureAwait(false);
        var toMs = request.ToUnixMs == 0 ? nowMs : request.ToUnixMs;
        if (toMs <= request.FromUnixMs)
        {
            throw Invalid(request.ToUnixMs == 0
                ? $"from_unix_ms: must be before now ({nowMs}), was {request.FromUnixMs}"
                : $"to_unix_ms: must be after from_unix_ms ({request.FromUnixMs}), was {request.ToUnixMs}");
        }

        if (Interlocked.Increment(ref _running) > _options.MaxConcurrent)
        {
            Interlocked.Decrement(ref _running);
            throw new RpcException(new Status(StatusCode.ResourceExhausted, $"Backtest:MaxConcurrent ({_options.MaxConcurrent}) backtests are running; retry when one ends"));
        }

        try
        {
            var maxTransitions = request.MaxTransitions == 0 ? BacktestOptions.DefaultMaxTransitions : request.MaxTransitions;
            var backtest = new Backtest(candidate, request.FromUnixMs, toMs, maxTransitions, limits);
            return await Task.Run(() => Replay(backtest, candidate, cancellation), cancellation).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            throw new RpcException(new Status(StatusCode.Cancelled, "the backtest was cancelled (the call's deadline passed or the client went away)"));
        }
        catch (BacktestLimitException e)
        {
            throw new RpcException(new Status(StatusCode.ResourceExhausted, $"{e.Limit} ({e.Value}): {e.Message}"));
        }
        finally
        {
            Interlocked.Decrement(ref _running);
        }
    }

    private BacktestResponse Replay(Backtest backtest, Monitor candidate, CancellationToken cancellation)
    {
        var node = _engine.Node;
        var replayFromMs = backtest.FromMs - Backtest.WarmUpMs(candidate);
        var firstIndex = node.JournalFirstIndex;
        var response = new BacktestResponse { ReplayFromUnixMs = replayFromMs, FirstIndex = (ulong)firstIndex };
        long scanned = 0;
        long lastIndex = firstIndex - 1;
        try
        {
            // Pass 1 finds where to start: the last tick before the warm-up start, so the points
            // stamped between it and the start (which follow it in the log) are replayed too; or the
            // journal's first tick when it is already later, and then the journal no longer holds the start.
            long startIndex = 0;
            long lastTickBefore = 0;
            using (var finder = node.ScanJournal(firstIndex))
            {
                while (startIndex == 0 && Next(finder, ref scanned, ref lastIndex, firstIndex, cancellation) is { } found)
                {
                    var (index, entry) = found;
                    if (entry.BodyCase != LogEntry.BodyOneofCase.Tick)
                    {
                        continue;
                    }

                    if (entry.Tick.UnixMs < replayFromMs)
                    {
                        lastTickBefore = index;
                        continue;
                    }

                    response.StartsLate = lastTickBefore == 0 && entry.Tick.UnixMs > replayFromMs;
                    startIndex = lastTickBefore == 0 ? index : lastTickBefore;
                }
            }

            if (startIndex > 0)
            {
                // Pass 2 replays from there (the scan opens at an index through the journal's address index).
                lastIndex = startIndex - 1;
                using var scanner = node.ScanJournal(startIndex);
                while (!backtest.Finished && Next(scanner, ref scanned, ref lastIndex, firstIndex, cancellation) is { } found)
                {
                    backtest.Apply(found.Index, found.Entry);
                    if (backtest.PointsReplayed > _options.MaxPointsReplayed)
                    {
                        throw new BacktestLimitException("Backtest:MaxPointsReplayed", _options.MaxPointsReplayed, $"the backtest replayed more than {_options.MaxPointsReplayed} points; narrow the range or raise the setting");
                    }
                }
            }
        }
        catch (Exception e) when ((e is JournalCorruptionException or ArgumentOutOfRangeException) && node.JournalFirstIndex > lastIndex + 1)
        {
            // Not corruption: a snapshot dropped the prefix the scan was reading.
            throw new RpcException(new Status(StatusCode.Aborted, $"a snapshot truncated the journal to index {node.JournalFirstIndex} while the backtest read index {lastIndex + 1}; retry"));
        }

        response.CoveredFromUnixMs = backtest.FirstTickMs ?? 0;
        response.CoveredToUnixMs = backtest.LogicalTimeMs;
        response.EntriesScanned = (ulong)scanned;
        response.PointsReplayed = (ulong)backtest.PointsReplayed;
        response.PointsRejected = (ulong)backtest.PointsRejected;
        response.LastIndex = (ulong)Math.Max(0, lastIndex);
        foreach (var e in backtest.Events)
        {
            var proto = AlertsService.ToProto(e.Event, e.Message, 0, candidate.Name);
            proto.LogIndex = (ulong)e.SourceIndex;
            response.Events.Add(proto);
        }

        return response;
    }

    /// <summary>The next durable entry of <paramref name="scanner"/>, counted against <see cref="BacktestOptions.MaxEntriesScanned"/>; null at the end of the journal.</summary>
    private (long Index, LogEntry Entry)? Next(IJournalScanner scanner, ref long scanned, ref long lastIndex, long firstIndex, CancellationToken cancellation)
    {
        if (!scanner.TryNext(out var record))
        {
            return null;
        }

        scanned++;
        lastIndex = record.Index;
        if (scanned > _options.MaxEntriesScanned)
        {
            throw new BacktestLimitException("Backtest:MaxEntriesScanned", _options.MaxEntriesScanned, $"the backtest read {_options.MaxEntriesScanned} journal entries from index {firstIndex} without reaching the end of the range; narrow it (to_unix_ms) or raise the setting");
        }

        if (scanned % CancellationCheckEntries == 0)
        {
            cancellation.ThrowIfCancellationRequested();
        }

        return (record.Index, LogEntry.Parser.ParseFrom(record.Payload.Span));
    }

    private static RpcException Invalid(string message) => new(new Status(StatusCode.InvalidArgument, message));
}
