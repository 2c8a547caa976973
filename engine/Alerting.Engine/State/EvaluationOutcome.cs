namespace Alerting.Engine.State;

/// <summary>The result of evaluating one group's window at one instant.</summary>
/// <param name="HasValue">False when the window held no data for the group.</param>
/// <param name="Value">The evaluated value; meaningful only when <paramref name="HasValue"/>, never NaN then.</param>
/// <param name="FullWindow">True when the data covers the whole window (for <c>require_full_window</c>).</param>
/// <param name="NewestPointMs">
/// Timestamp (unix ms) of the group's newest point (or check run with a verdict) that the evaluation
/// could see, <see cref="NoPoint"/> when it saw none. It drives the no-data and auto-resolve clocks,
/// which Datadog measures from the last data point, not from the last evaluation with a value.
/// </param>
/// <param name="Unknown">A check group's runs were UNKNOWN as many times in a row as its <c>unknown</c> threshold: the condition is NO DATA.</param>
public readonly record struct EvaluationOutcome(bool HasValue, double Value, bool FullWindow, long NewestPointMs, bool Unknown = false)
{
    /// <summary>No point seen.</summary>
    public const long NoPoint = long.MinValue;

    public static EvaluationOutcome NoData => new(false, double.NaN, false, NoPoint);

    public static EvaluationOutcome Of(double value, long newestPointMs, bool fullWindow = true) => new(true, value, fullWindow, newestPointMs);
}
