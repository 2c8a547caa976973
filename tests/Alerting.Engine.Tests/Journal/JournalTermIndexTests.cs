using Alerting.Engine.Journal;

namespace Alerting.Engine.Tests.Journal;

public sealed class JournalTermIndexTests
{
    [Fact]
    public void The_map_keeps_one_run_per_term_whatever_the_log_length()
    {
        var terms = new JournalTermIndex();
        for (long i = 1; i <= 100_000; i++)
        {
            terms.Append(i, i <= 10 ? 1UL : i <= 60_000 ? 2UL : 4UL);
        }

        Assert.Equal(3, terms.RunCount);
        Assert.True(terms.TryGetTerm(10, out var t10) && t10 == 1);
        Assert.True(terms.TryGetTerm(11, out var t11) && t11 == 2);
        Assert.True(terms.TryGetTerm(60_001, out var tLast) && tLast == 4);
    }

    [Fact]
    public void Truncation_drops_runs_wholly_outside_the_kept_log()
    {
        var terms = new JournalTermIndex();
        for (long i = 1; i <= 30; i++)
        {
            terms.Append(i, (ulong)((i - 1) / 10) + 1);
        }

        terms.TruncateBefore(15);
        Assert.Equal(2, terms.RunCount);
        Assert.False(terms.TryGetTerm(14, out _));
        Assert.True(terms.TryGetTerm(15, out var t15) && t15 == 2);

        terms.TruncateAfter(20);
        Assert.Equal(1, terms.RunCount);
        Assert.False(terms.TryGetTerm(21, out _));
        terms.Append(21, 5);
        Assert.True(terms.TryGetTerm(21, out var t21) && t21 == 5);
        Assert.Throws<InvariantViolationException>(() => terms.Append(22, 4));
    }
}
