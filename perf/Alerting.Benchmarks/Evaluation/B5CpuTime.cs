using System.Diagnostics;
using System.Globalization;

namespace Alerting.Benchmarks.Evaluation;

/// <summary>
/// B5 in process CPU time (<c>b5-cpu [calls]</c>): each formula and modifier benchmark method
/// driven by a fixed loop of calls after as many warm-up calls, reporting
/// <see cref="Process.TotalProcessorTime"/> and wall time per group evaluation, and the bytes the
/// thread allocated. On a machine shared with other work, wall time overstates the cost; CPU time
/// does far less (it still pays the cache misses other processes cause).
/// </summary>
internal static class B5CpuTime
{
    private const int GroupCount = 100_000;

    public static void Run(int calls)
    {
        var formulas = new FormulaEvaluationBenchmarks();
        formulas.Setup();
        var modifiers = new ModifierEvaluationBenchmarks();
        modifiers.Setup();
        (string Name, Func<double> Call)[] cases =
        [
            ("Formula.PlainGroups", formulas.PlainGroups),
            ("Formula.ErrorRateFormulaGroups", formulas.ErrorRateFormulaGroups),
            ("Formula.ErrorRateFormulaGroupsWithNewestPoint", formulas.ErrorRateFormulaGroupsWithNewestPoint),
            ("Formula.RequestRateGroups", formulas.RequestRateGroups),
            ("Modifier.PlainGroups", modifiers.PlainGroups),
            ("Modifier.RollupGroups", modifiers.RollupGroups),
            ("Modifier.AsCountGroups", modifiers.AsCountGroups),
        ];

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"B5 CPU time, {calls} calls of {GroupCount} groups after {calls} warm-up calls, load average {LoadAverage()}"));
        Console.WriteLine("| benchmark | CPU ns/group | wall ns/group | B allocated/group |");
        Console.WriteLine("|---|---|---|---|");
        var sink = 0.0;
        foreach (var (name, call) in cases)
        {
            for (var i = 0; i < calls; i++)
            {
                sink += call();
            }

            var process = Process.GetCurrentProcess();
            var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
            var cpuBefore = process.TotalProcessorTime;
            var wall = Stopwatch.StartNew();
            for (var i = 0; i < calls; i++)
            {
                sink += call();
            }

            wall.Stop();
            process.Refresh();
            var cpu = process.TotalProcessorTime - cpuBefore;
            var allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
            var operations = (double)calls * GroupCount;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {name} | {cpu.TotalNanoseconds / operations:F1} | {wall.Elapsed.TotalNanoseconds / operations:F1} | {allocated / operations:F3} |"));
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"(checksum {sink:G6}, load average after {LoadAverage()})"));
    }

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "n/a";
}
