using System.Collections.Immutable;

namespace Alerting.Engine.Monitors.Query;

/// <summary>
/// A check monitor query:
/// <c>"check.name".over("tag:value").by("host").last(3).count_by_status()</c>. It counts the
/// statuses (OK/WARN/CRITICAL/UNKNOWN) of the last <see cref="Last"/> runs of the check in each
/// group; the thresholds on those counts live in the monitor options.
/// </summary>
public sealed record CheckQuery : MonitorQuery
{
    /// <summary>Builds a query, checking every bound the parser checks.</summary>
    /// <exception cref="ArgumentException">A field breaks a rule of the language.</exception>
    public CheckQuery(string checkName, ImmutableArray<TagFilter> over, ImmutableArray<string> groupBy, int last)
    {
        ArgumentNullException.ThrowIfNull(checkName);
        if (!QueryCharset.IsCheckName(checkName))
        {
            throw new ArgumentException(
                $"check name '{checkName}' must start with a letter, contain only ASCII letters, digits, '_', '.', '-', and be at most {QueryLimits.MaxCheckNameLength} characters",
                nameof(checkName));
        }

        if (last is < 1 or > QueryLimits.MaxCheckRuns)
        {
            throw new ArgumentOutOfRangeException(nameof(last), last, $"must be between 1 and {QueryLimits.MaxCheckRuns}");
        }

        CheckName = checkName;
        Over = ValidateScope(over, nameof(over));
        if (Over.Any(filter => filter.Kind == TagFilterKind.Boolean))
        {
            throw new ArgumentException("over(...) lists tag filters; boolean scopes (OR, NOT) are for metric queries", nameof(over));
        }

        GroupBy = ValidateGroupBy(groupBy, nameof(groupBy));
        Last = last;
    }

    /// <summary>The check whose runs are counted.</summary>
    public string CheckName { get; }

    /// <summary>Which runs count, by their tags, ANDed; a single <see cref="TagFilter.Any"/> for <c>over("*")</c>.</summary>
    public ImmutableArray<TagFilter> Over { get; }

    /// <inheritdoc/>
    public override ImmutableArray<string> GroupBy { get; }

    /// <summary>How many of the most recent runs per group are counted, in [1, <see cref="QueryLimits.MaxCheckRuns"/>].</summary>
    public int Last { get; }

    /// <inheritdoc/>
    public bool Equals(CheckQuery? other) =>
        other is not null
        && string.Equals(CheckName, other.CheckName, StringComparison.Ordinal)
        && SequenceEqual(Over, other.Over)
        && SequenceEqual(GroupBy, other.GroupBy)
        && Last == other.Last;

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var hash = default(HashCode);
        hash.Add(CheckName, StringComparer.Ordinal);
        AddAll(ref hash, Over);
        AddAll(ref hash, GroupBy);
        hash.Add(Last);
        return hash.ToHashCode();
    }

    /// <summary>The canonical query text.</summary>
    public override string ToString() => QueryFormatter.Format(this);
}
