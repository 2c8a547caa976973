using Alerting.Engine.Monitors;
using Alerting.Protocol.Log;

namespace Alerting.Engine.State;

/// <summary>
/// Maps check-run statuses onto the numeric input of the state processor, so check monitors share
/// the metric rules: OK = 0, WARN = 1, CRITICAL = 2, compared with <c>&gt;=</c> against a warning
/// threshold of 1 and a critical threshold of 2. UNKNOWN carries no verdict and counts as no data
/// (with <c>notify_no_data</c> a group that reports only UNKNOWN for the timeframe goes to NO_DATA).
/// </summary>
public static class CheckStatusAdapter
{
    public const double OkLevel = 0;
    public const double WarningLevel = 1;
    public const double CriticalLevel = 2;
    public const Comparator CheckComparator = Comparator.GreaterOrEqual;

    /// <summary>The outcome of one run with status <paramref name="status"/> stamped <paramref name="runMs"/>.</summary>
    public static EvaluationOutcome ToOutcome(CheckStatus status, long runMs) => status switch
    {
        CheckStatus.Ok => EvaluationOutcome.Of(OkLevel, runMs),
        CheckStatus.Warn => EvaluationOutcome.Of(WarningLevel, runMs),
        CheckStatus.Critical => EvaluationOutcome.Of(CriticalLevel, runMs),
        CheckStatus.Unknown => EvaluationOutcome.NoData,
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, "unknown check status"),
    };
}
