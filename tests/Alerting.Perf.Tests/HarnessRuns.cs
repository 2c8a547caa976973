using System.Text;

// Each scenario starts its own server process: one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace Alerting.Perf.Tests;

internal static class HarnessRuns
{
    /// <summary>Runs the harness in-process against a real server process; returns its exit code, report and output.</summary>
    public static async Task<(int Exit, RunReport? Report, string Output)> RunAsync(params string[] args)
    {
        var json = Path.Combine(Path.GetTempPath(), $"alerting-perf-test-{Guid.NewGuid():N}.json");
        var output = new StringWriter(new StringBuilder());
        try
        {
            var exit = await PerfApp.RunAsync([.. args, "--json", json], output);
            return (exit, File.Exists(json) ? RunReport.Load(json) : null, output.ToString());
        }
        finally
        {
            File.Delete(json);
        }
    }
}
