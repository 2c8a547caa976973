using Alerting.Engine.Journal;

namespace Alerting.Engine.Pipeline;

/// <summary>A single node's commit index: what is durable in its own journal (durability mode <c>local</c>).</summary>
public sealed class JournalCommitIndex(IJournal journal) : ICommitIndex
{
    public long CommitIndex => journal.DurableIndex;

    public void WaitForCommit(long index, CancellationToken cancellationToken = default) => journal.WaitForDurable(index, cancellationToken);

    public ValueTask WaitForCommitAsync(long index, CancellationToken cancellationToken = default) => journal.WaitForDurableAsync(index, cancellationToken);
}
