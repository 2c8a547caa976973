using Alerting.Engine.Monitors;
using Alerting.Engine.StateMachine;
using Alerting.Protocol.Log;
using BenchmarkDotNet.Attributes;

namespace Alerting.Benchmarks.StateMachine;

/// <summary>
/// The cost of idempotent batches on the apply loop (docs/clients.md): per client batch, the
/// session lookup and update at the default cap of 100 000 remembered clients, all full. New
/// clients each evict the least recently written one; a known client's next sequence updates its
/// session; a retry is answered from it. One operation = one batch.
/// </summary>
[MemoryDiagnoser]
public class ClientSessionsBenchmarks
{
    private const int Clients = IngestLimits.DefaultMaxClientSessions;

    private readonly long[] _noRejections = new long[RejectReasonNames.Count];
    private ClientSessions _sessions = null!;
    private ClientBatch[] _known = null!;
    private ClientBatch[] _fresh = null!;
    private long _index;
    private ulong _round;

    [GlobalSetup]
    public void Setup()
    {
        _sessions = new ClientSessions(new IngestLimits());
        _known = new ClientBatch[Clients];
        _fresh = new ClientBatch[Clients];
        for (var i = 0; i < Clients; i++)
        {
            _known[i] = new ClientBatch { ClientId = $"client-{i:D6}", Sequence = 1, Parts = 1 };
            _fresh[i] = new ClientBatch { ClientId = $"fresh-{i:D6}", Sequence = 1, Parts = 1 };
            _sessions.Record(_known[i], ++_index, 1, 0, 1_000, _noRejections);
        }

        _round = 1;
    }

    /// <summary>A known client's next batch: lookup, not a duplicate, then the session update.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = Clients)]
    public long NextSequenceOfAKnownClient()
    {
        _round++;
        var accepted = 0L;
        foreach (var batch in _known)
        {
            batch.Sequence = _round;
            if (_sessions.TryDuplicate(batch, ++_index, 0) is null)
            {
                accepted += _sessions.Record(batch, _index, 1, 0, 1_000, _noRejections).Accepted;
            }
        }

        return accepted;
    }

    /// <summary>A retry: answered from the session, nothing applied.</summary>
    [Benchmark(OperationsPerInvoke = Clients)]
    public long RetryAnsweredFromTheSession()
    {
        var answered = 0L;
        foreach (var batch in _known)
        {
            answered += _sessions.TryDuplicate(batch, ++_index, 0)?.LogIndex ?? 0;
        }

        return answered;
    }

    /// <summary>A client never seen, at the cap: lookup, then evict the oldest session and add one.</summary>
    [Benchmark(OperationsPerInvoke = Clients)]
    public long NewClientAtTheCap()
    {
        var accepted = 0L;
        var batches = _round++ % 2 == 0 ? _known : _fresh;
        foreach (var batch in batches)
        {
            batch.Sequence = _round;
            if (_sessions.TryDuplicate(batch, ++_index, 0) is null)
            {
                accepted += _sessions.Record(batch, _index, 1, 0, 1_000, _noRejections).Accepted;
            }
        }

        return accepted;
    }
}
