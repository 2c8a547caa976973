namespace Alerting.Engine.Monitors;

/// <summary>
/// Datadog service-check thresholds: how many consecutive runs of a status move a group to ALERT
/// (CRITICAL runs), WARN (WARN or CRITICAL runs), OK (OK runs) or NO DATA (UNKNOWN runs; 0 = never,
/// UNKNOWN runs then give no verdict). <see cref="None"/> keeps the <c>.last(n)</c> reading (n CRITICAL
/// in a row alert, anything less is OK).
/// </summary>
internal readonly record struct CheckCounts(int Critical, int Warning, int Ok, int Unknown)
{
    public static CheckCounts None => default;

    /// <summary>Whether the monitor counts consecutive runs (it set <c>check_thresholds</c>).</summary>
    public bool IsSet => Critical > 0;

    /// <summary>The most runs any count needs: a series window holds at least that many.</summary>
    public int Longest => Math.Max(Math.Max(Critical, Warning), Math.Max(Ok, Unknown));
}
