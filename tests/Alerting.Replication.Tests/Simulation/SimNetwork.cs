namespace Alerting.Replication.Tests.Simulation;

/// <summary>A message on the simulated wire; an InstallSnapshot carries the sender's state (its running hash) as the snapshot bytes.</summary>
internal sealed record Envelope(ReplicationMessage Message, ulong SnapshotHash);

/// <summary>
/// The simulated network: every message gets a random delay (so messages reorder), may be lost or
/// duplicated, and is dropped when its link is cut at send or at delivery time. Links are cut one
/// direction at a time, so partitions can be symmetric or one-way.
/// </summary>
internal sealed class SimNetwork(Random random)
{
    private readonly PriorityQueue<Envelope, (long Time, long Seq)> _queue = new();
    private readonly HashSet<(int From, int To)> _cut = [];
    private long _seq;

    public double LossRate { get; set; }

    public double DuplicateRate { get; set; }

    public int MaxDelayTicks { get; set; } = 1;

    public int Sent { get; private set; }

    public int Dropped { get; private set; }

    public bool IsCut(int from, int to) => _cut.Contains((from, to));

    public void Cut(int from, int to) => _cut.Add((from, to));

    public void HealAll() => _cut.Clear();

    public void Send(Envelope envelope, long now)
    {
        Sent++;
        var m = envelope.Message;
        if (IsCut(m.From, m.To) || random.NextDouble() < LossRate)
        {
            Dropped++;
            return;
        }

        _queue.Enqueue(envelope, (now + 1 + random.Next(MaxDelayTicks), _seq++));
        if (random.NextDouble() < DuplicateRate)
        {
            _queue.Enqueue(envelope, (now + 1 + random.Next(MaxDelayTicks), _seq++));
        }
    }

    public bool TryReceive(long now, out Envelope envelope)
    {
        while (_queue.TryPeek(out var next, out var at) && at.Time <= now)
        {
            _queue.Dequeue();
            if (IsCut(next.Message.From, next.Message.To))
            {
                Dropped++;
                continue;
            }

            envelope = next;
            return true;
        }

        envelope = null!;
        return false;
    }
}
