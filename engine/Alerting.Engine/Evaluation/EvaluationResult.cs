namespace Alerting.Engine.Evaluation;

/// <summary>The value of one group's window at one evaluation instant.</summary>
/// <param name="HasValue">False when the window holds no data (or, for pct_change, the old value is 0).</param>
/// <param name="Value">The aggregated value; 0 when <paramref name="HasValue"/> is false.</param>
/// <param name="FullWindow">
/// The data spans the whole window: some series of the group has a point in the window's oldest
/// bucket (for change and pct_change: in the oldest bucket of both windows).
/// </param>
/// <param name="PointCount">Points of the group in the window ending at the evaluation instant.</param>
public readonly record struct EvaluationResult(bool HasValue, double Value, bool FullWindow, int PointCount)
{
    /// <summary>A window without data.</summary>
    public static EvaluationResult NoValue(bool fullWindow, int pointCount) => new(false, 0, fullWindow, pointCount);
}
