using Alerting.Engine.Journal;
using Xunit.Abstractions;
using static Alerting.Engine.Tests.Journal.JournalTestSupport;

namespace Alerting.Engine.Tests.Journal;

/// <summary>
/// The <see cref="IJournal"/> contract, run against every implementation: FasterJournal on real
/// FasterLog files in a temp folder, and MemoryJournal.
/// </summary>
public abstract class JournalContractTests(ITestOutputHelper output) : IDisposable
{
    protected ITestOutputHelper Output { get; } = output;

    /// <summary>A fresh, empty journal.</summary>
    protected abstract IJournal Open();

    /// <summary>Closes <paramref name="journal"/> after everything is durable and returns what a restart finds.</summary>
    protected abstract IJournal Reopen(IJournal journal);

    /// <summary>Whether the implementation can drop its tail.</summary>
    protected abstract bool CanTruncateAfter { get; }

    public virtual void Dispose() => GC.SuppressFinalize(this);

    [Fact]
    public async Task Leader_appends_take_the_next_index_become_durable_and_scan_back_with_their_terms()
    {
        using var journal = Open();
        Assert.Equal(1, journal.FirstIndex);
        Assert.Equal(0, journal.LastIndex);
        for (long i = 1; i <= 60; i++)
        {
            Assert.Equal(i, journal.Append(Payload(i), TermOf(i)));
        }

        await journal.WaitForDurableAsync(60);
        Assert.True(journal.DurableIndex >= 60);
        Assert.Equal(5UL, journal.LastTerm);

        var records = Read(journal, 1);
        Assert.Equal(Enumerable.Range(1, 60).Select(i => (long)i), records.Select(r => r.Index));
        Assert.All(records, r => Assert.Equal(TermOf(r.Index), r.Term));
        Assert.All(records, r => Assert.Equal(Payload(r.Index), r.Payload));
        Assert.Equal(Enumerable.Range(23, 38).Select(i => (long)i), Read(journal, 23).Select(r => r.Index));
    }

    [Fact]
    public void Term_of_an_index_follows_the_term_runs_and_is_unknown_outside_the_log()
    {
        using var journal = Open();
        for (long i = 1; i <= 60; i++)
        {
            journal.Append(Payload(i), TermOf(i));
        }

        for (long i = 1; i <= 60; i++)
        {
            Assert.True(journal.TryGetTerm(i, out var term), $"index {i}");
            Assert.Equal(TermOf(i), term);
        }

        Assert.True(journal.TryGetTerm(0, out var empty));
        Assert.Equal(0UL, empty);
        Assert.False(journal.TryGetTerm(61, out _));
    }

    [Fact]
    public void WaitForDurable_blocks_until_the_index_is_durable()
    {
        using var journal = Open();
        journal.Append(Payload(1), 1);
        journal.Append(Payload(2), 1);
        journal.WaitForDurable(2);
        Assert.True(journal.DurableIndex >= 2);
    }

    [Fact]
    public void A_follower_appends_at_the_index_and_term_the_leader_gave_and_only_at_the_next_index()
    {
        using var journal = Open();
        journal.AppendAt(1, 3, Payload(1));
        journal.AppendAt(2, 3, Payload(2));
        journal.AppendAt(3, 4, Payload(3));
        journal.WaitForDurable(3);

        Assert.Throws<ArgumentOutOfRangeException>(() => journal.AppendAt(5, 4, Payload(5)));
        Assert.Throws<ArgumentOutOfRangeException>(() => journal.AppendAt(3, 4, Payload(3)));
        Assert.Throws<ArgumentException>(() => journal.AppendAt(4, 2, Payload(4)));

        Assert.Equal(3, journal.LastIndex);
        Assert.Equal([(1L, 3UL), (2L, 3UL), (3L, 4UL)], Read(journal, 1).Select(r => (r.Index, r.Term)));
    }

    [Fact]
    public void Truncating_the_prefix_keeps_the_named_entry_and_survives_a_restart()
    {
        var journal = Open();
        try
        {
            for (long i = 1; i <= 40; i++)
            {
                journal.Append(Payload(i), TermOf(i));
            }

            journal.WaitForDurable(40);
            journal.TruncateBefore(25);

            Assert.Equal(25, journal.FirstIndex);
            Assert.False(journal.TryGetTerm(24, out _));
            Assert.True(journal.TryGetTerm(25, out var term));
            Assert.Equal(TermOf(25), term);
            Assert.Throws<ArgumentOutOfRangeException>(() => journal.Scan(24));
            Assert.Equal(Enumerable.Range(25, 16).Select(i => (long)i), Read(journal, 25).Select(r => r.Index));

            journal = Reopen(journal);
            Assert.Equal(25, journal.FirstIndex);
            Assert.Equal(40, journal.LastIndex);
            Assert.Equal(Enumerable.Range(25, 16).Select(i => (long)i), Read(journal, 25).Select(r => r.Index));
            Assert.True(journal.TryGetTerm(40, out term));
            Assert.Equal(TermOf(40), term);
            Assert.Equal(41, journal.Append(Payload(41), TermOf(41)));
        }
        finally
        {
            journal.Dispose();
        }
    }

    [Fact]
    public void Truncating_the_suffix_drops_it_where_the_journal_can_and_is_refused_clearly_where_it_cannot()
    {
        using var journal = Open();
        for (long i = 1; i <= 10; i++)
        {
            journal.Append(Payload(i), 1);
        }

        journal.WaitForDurable(10);
        if (!CanTruncateAfter)
        {
            var refused = Assert.Throws<NotSupportedException>(() => journal.TruncateAfter(6));
            Assert.Contains("snapshot", refused.Message, StringComparison.Ordinal);
            Assert.Equal(10, journal.LastIndex);
            Assert.Equal(Enumerable.Range(1, 10).Select(i => (long)i), Read(journal, 1).Select(r => r.Index));
            return;
        }

        journal.TruncateAfter(6);
        Assert.Equal(6, journal.LastIndex);
        Assert.Equal(6, journal.DurableIndex);
        Assert.False(journal.TryGetTerm(7, out _));

        // The new leader's entries replace the dropped suffix, in its term.
        journal.AppendAt(7, 2, Payload(7, salt: 1));
        journal.AppendAt(8, 2, Payload(8, salt: 1));
        journal.WaitForDurable(8);
        var records = Read(journal, 5);
        Assert.Equal([(5L, 1UL), (6L, 1UL), (7L, 2UL), (8L, 2UL)], records.Select(r => (r.Index, r.Term)));
        Assert.Equal(Payload(7, salt: 1), records[2].Payload);
        Assert.True(journal.TryGetTerm(8, out var term));
        Assert.Equal(2UL, term);
    }

    [Fact]
    public void Random_appends_truncations_and_restarts_match_a_list_model()
    {
        // Replay a failure with ALERTING_JOURNAL_CONTRACT_SEED=<seed>.
        int seed = int.TryParse(Environment.GetEnvironmentVariable("ALERTING_JOURNAL_CONTRACT_SEED"), System.Globalization.CultureInfo.InvariantCulture, out int replay) ? replay : Environment.TickCount;
        Output.WriteLine($"seed {seed} (replay with ALERTING_JOURNAL_CONTRACT_SEED={seed})");
        var random = new Random(seed);
        var journal = Open();
        try
        {
            // The model: index -> (term, payload), and the first kept index.
            var model = new List<(ulong Term, byte[] Payload)>();
            long first = 1;
            ulong term = 1;
            for (int step = 0; step < 300; step++)
            {
                int roll = random.Next(100);
                long last = first + model.Count - 1;
                if (roll < 80)
                {
                    if (random.Next(20) == 0)
                    {
                        term += (ulong)random.Next(1, 3);
                    }

                    var payload = Payload(last + 1, salt: step);
                    Assert.Equal(last + 1, journal.Append(payload, term));
                    model.Add((term, payload));
                }
                else if (roll < 90 && model.Count > 1)
                {
                    journal.WaitForDurable(last);
                    long keepFrom = first + random.Next(model.Count);
                    journal.TruncateBefore(keepFrom);
                    model.RemoveRange(0, (int)(keepFrom - first));
                    first = keepFrom;
                }
                else if (roll < 93)
                {
                    journal.WaitForDurable(last);
                    journal = Reopen(journal);
                }
                else
                {
                    journal.WaitForDurable(last);
                    long probe = first - 1 + random.Next(model.Count + 2);
                    bool known = journal.TryGetTerm(probe, out var found);
                    bool inLog = probe >= first && probe <= last;
                    Assert.True(known == (inLog || probe == 0), $"seed {seed}, step {step}: TryGetTerm({probe}) = {known} with log {first}..{last}");
                    if (inLog)
                    {
                        Assert.True(model[(int)(probe - first)].Term == found, $"seed {seed}, step {step}: term of {probe}");
                    }
                }
            }

            journal.WaitForDurable(first + model.Count - 1);
            Assert.True(first == journal.FirstIndex, $"seed {seed}: first index");
            var records = Read(journal, first);
            Assert.True(model.Count == records.Count, $"seed {seed}: {records.Count} records, model has {model.Count}");
            for (int i = 0; i < model.Count; i++)
            {
                Assert.True(records[i].Index == first + i && records[i].Term == model[i].Term && records[i].Payload.SequenceEqual(model[i].Payload), $"seed {seed}: record {first + i} differs from the model");
            }
        }
        finally
        {
            journal.Dispose();
        }
    }

    protected static ulong TermOf(long index) => index <= 20 ? 1UL : index <= 45 ? 2UL : 5UL;

    protected static List<(long Index, ulong Term, byte[] Payload)> Read(IJournal journal, long fromIndex)
    {
        var records = new List<(long, ulong, byte[])>();
        using var scanner = journal.Scan(fromIndex);
        while (scanner.TryNext(out JournalRecord record))
        {
            records.Add((record.Index, record.Term, record.Payload.ToArray()));
        }

        return records;
    }
}

public sealed class FasterJournalContractTests(ITestOutputHelper output) : JournalContractTests(output)
{
    private readonly TempDirectory _directory = new();

    protected override bool CanTruncateAfter => false;

    public override void Dispose()
    {
        _directory.Dispose();
        base.Dispose();
    }

    protected override IJournal Open() => FasterJournal.Open(SmallOptions(_directory.Path));

    protected override IJournal Reopen(IJournal journal)
    {
        journal.Dispose();
        return Open();
    }
}

public sealed class MemoryJournalContractTests(ITestOutputHelper output) : JournalContractTests(output)
{
    protected override bool CanTruncateAfter => true;

    protected override IJournal Open() => new MemoryJournal(maxPayloadBytes: 4096);

    protected override IJournal Reopen(IJournal journal)
    {
        journal.WaitForDurable(journal.LastIndex);
        return ((MemoryJournal)journal).Crash();
    }
}
