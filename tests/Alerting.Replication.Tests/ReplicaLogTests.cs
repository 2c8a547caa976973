using CsCheck;

namespace Alerting.Replication.Tests;

public sealed class ReplicaLogTests
{
    [Fact]
    public void Log_answers_like_a_list_model_under_appends_truncations_and_compactions()
    {
        // op 0: append (term bumps by x % 2); op 1: truncate the last x entries above the snapshot; op 2: compact x entries.
        Gen.Select(Gen.Int[0, 2], Gen.Int[0, 5]).Array[1, 80].Sample(ops =>
        {
            var log = new ReplicaLog(0, 0, []);
            var model = new List<long>();
            long snapshotIndex = 0, snapshotTerm = 0, term = 1;
            foreach (var (op, x) in ops)
            {
                switch (op)
                {
                    case 0:
                        term += x % 2;
                        log.Append(new LogEntry(model.Count + 1, term, EntryKind.Command, ReadOnlyMemory<byte>.Empty));
                        model.Add(term);
                        break;
                    case 1:
                        var after = Math.Max(snapshotIndex, model.Count - x);
                        log.TruncateAfter(after);
                        model.RemoveRange((int)after, model.Count - (int)after);
                        break;
                    default:
                        var through = Math.Min(model.Count, snapshotIndex + x);
                        if (through > snapshotIndex)
                        {
                            snapshotTerm = model[(int)through - 1];
                            snapshotIndex = through;
                        }

                        log.CompactThrough(through);
                        break;
                }

                Assert.Equal(model.Count, log.LastIndex);
                Assert.Equal(snapshotIndex, log.SnapshotIndex);
                for (var i = 0L; i <= model.Count + 1; i++)
                {
                    var expected = i < snapshotIndex || i > model.Count ? -1 : i == snapshotIndex ? snapshotTerm : model[(int)i - 1];
                    Assert.Equal(expected, log.TermAt(i));
                }
            }
        });
    }

    [Fact]
    public void Appending_out_of_order_breaks_an_invariant()
    {
        var log = new ReplicaLog(0, 0, [new LogEntry(1, 1, EntryKind.Command, ReadOnlyMemory<byte>.Empty)]);

        Assert.Throws<ReplicationInvariantException>(() => log.Append(new LogEntry(3, 1, EntryKind.Command, ReadOnlyMemory<byte>.Empty)));
        Assert.Throws<ReplicationInvariantException>(() => log.Append(new LogEntry(2, 0, EntryKind.Command, ReadOnlyMemory<byte>.Empty)));
    }
}
