namespace Alerting.Engine.State;

/// <summary>The result of evaluating one group's window at one instant.</summary>
/// <param name="HasValue">False when the window held no data for the group.</param>
/// <param name="Value">The evaluated value; meaningful only when <paramref name="HasValue"/>, never NaN then.</param>
/// <param name="FullWindow">True when the data covers the whole window (for <c>require_full_window</c>).</param>
public readonly record struct EvaluationOutcome(bool HasValue, double Value, bool FullWindow)
{
    public static EvaluationOutcome NoData => new(false, double.NaN, false);

    public static EvaluationOutcome Of(double value, bool fullWindow = true) => new(true, value, fullWindow);
}
