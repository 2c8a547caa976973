using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Alerting.Perf;

/// <summary>One measured figure beside its bar (from BENCHMARKS.md); <see cref="Holds"/> is null when no bar applies.</summary>
internal sealed record Figure(string Id, string Name, double Value, string Unit, string Bar, bool? Holds);

/// <summary>A correctness check made while measuring; a failed check fails the run whatever its speed.</summary>
internal sealed record Check(string Name, bool Passed, string Detail);

internal sealed class ScenarioResult
{
    public required string Scenario { get; init; }

    public Dictionary<string, string> Parameters { get; init; } = [];

    public List<Figure> Figures { get; init; } = [];

    public List<Check> Checks { get; init; } = [];

    public List<string> Notes { get; init; } = [];

    [JsonIgnore]
    public bool Passed => Checks.TrueForAll(c => c.Passed);

    public void Add(string id, string name, double value, string unit, string bar = "", bool? holds = null) =>
        Figures.Add(new Figure(id, name, Math.Round(value, 3), unit, bar, holds));

    public bool Check(string name, bool passed, string detail)
    {
        Checks.Add(new Check(name, passed, detail));
        return passed;
    }
}

internal sealed class RunReport
{
    public string Commit { get; init; } = "unknown";

    public int Cores { get; init; }

    public long MemoryBytes { get; init; }

    public string Os { get; init; } = "";

    public string Runtime { get; init; } = "";

    public DateTimeOffset StartedUtc { get; init; }

    public string Command { get; init; } = "";

    public List<ScenarioResult> Scenarios { get; init; } = [];

    [JsonIgnore]
    public bool Passed => Scenarios.TrueForAll(s => s.Passed);

    public static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static RunReport Describe(string[] args) => new()
    {
        Commit = GitCommit(),
        Cores = Environment.ProcessorCount,
        MemoryBytes = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes,
        Os = System.Runtime.InteropServices.RuntimeInformation.OSDescription,
        Runtime = System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription,
        StartedUtc = DateTimeOffset.UtcNow,
        Command = "alerting-perf " + string.Join(' ', args),
    };

    public void Save(string path) => File.WriteAllText(path, JsonSerializer.Serialize(this, Json));

    public static RunReport Load(string path) =>
        JsonSerializer.Deserialize<RunReport>(File.ReadAllText(path), Json) ?? throw new HarnessException($"{path} holds no run");

    private static string GitCommit()
    {
        try
        {
            var info = new ProcessStartInfo("git", "rev-parse --short=12 HEAD")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                WorkingDirectory = Path.GetDirectoryName(typeof(RunReport).Assembly.Location) ?? ".",
            };
            using var git = Process.Start(info);
            if (git is null)
            {
                return "unknown";
            }

            var commit = git.StandardOutput.ReadToEnd().Trim();
            git.WaitForExit();
            return git.ExitCode == 0 && commit.Length > 0 ? commit : "unknown";
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return "unknown";
        }
    }
}

internal static class Format
{
    public static string Number(double value, string unit) => unit switch
    {
        "ms" => value.ToString("0.00", CultureInfo.InvariantCulture) + " ms",
        "s" => value.ToString("0.000", CultureInfo.InvariantCulture) + " s",
        "B" => value.ToString("N0", CultureInfo.InvariantCulture) + " B",
        "" => value.ToString("N0", CultureInfo.InvariantCulture),
        _ => value.ToString(value >= 100 || value == Math.Floor(value) ? "N0" : "0.###", CultureInfo.InvariantCulture) + " " + unit,
    };
}
