using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace Alerting.Benchmarks.Timing;

/// <summary>Turns the median time of one simulated hour into per-firing figures (ns/firing or firings/s).</summary>
internal sealed class PerFiringColumn(bool nanosecondsPerFiring) : IColumn
{
    public string Id => nameof(PerFiringColumn) + ColumnName;

    public string ColumnName => nanosecondsPerFiring ? "ns/firing" : "firings/s";

    public bool AlwaysShow => true;

    public ColumnCategory Category => ColumnCategory.Custom;

    public int PriorityInCategory => nanosecondsPerFiring ? 0 : 1;

    public bool IsNumeric => true;

    public UnitType UnitType => UnitType.Dimensionless;

    public string Legend => nanosecondsPerFiring
        ? "Median time divided by the firings of the hour"
        : "Firings of the hour divided by the median time";

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, summary.Style);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        var statistics = summary[benchmarkCase]?.ResultStatistics;
        if (statistics is null)
        {
            return "NA";
        }

        double firings = TimerWorkload.Shared.ExpectedFirings;
        return nanosecondsPerFiring
            ? (statistics.Median / firings).ToString("F1", System.Globalization.CultureInfo.InvariantCulture)
            : (firings / (statistics.Median / 1e9)).ToString("N0", System.Globalization.CultureInfo.InvariantCulture);
    }

    public bool IsAvailable(Summary summary) => true;

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
}
