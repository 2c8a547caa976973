using System.Diagnostics;

namespace Alerting.Server.Tests.Deploy;

/// <summary>deploy/systemd/alerting.service as systemd reads it (<c>systemd-analyze verify</c>).</summary>
public sealed class SystemdUnitTests
{
    private const string Analyze = "/usr/bin/systemd-analyze";

    /// <summary>The only complaint allowed: the server is not installed on the machine that runs the tests.</summary>
    private const string NotInstalled = "Command /opt/alerting/Alerting.Server is not executable";

    [SystemdAnalyzeFact]
    public async Task The_unit_file_parses_without_a_complaint_and_is_Type_notify()
    {
        var unit = await File.ReadAllTextAsync(UnitPath());
        Assert.Contains("\nType=notify\n", unit, StringComparison.Ordinal);

        var lines = await VerifyAsync(unit);

        Assert.All(lines, line => Assert.Contains(NotInstalled, line, StringComparison.Ordinal));
    }

    [SystemdAnalyzeFact]
    public async Task A_misspelt_unit_is_reported_so_the_check_above_can_fail()
    {
        var unit = (await File.ReadAllTextAsync(UnitPath())).Replace("Type=notify", "Type=notfy", StringComparison.Ordinal);

        var lines = await VerifyAsync(unit);

        Assert.Contains(lines, line => line.Contains("Failed to parse service type", StringComparison.Ordinal));
    }

    private static string UnitPath()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "deploy", "systemd", "alerting.service");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException("deploy/systemd/alerting.service not found above the test's folder");
    }

    /// <summary>Verifies <paramref name="unit"/> (as alerting.service in a temporary folder) and returns what systemd-analyze printed.</summary>
    private static async Task<List<string>> VerifyAsync(string unit)
    {
        var folder = Directory.CreateTempSubdirectory("alerting-unit-");
        try
        {
            var path = Path.Combine(folder.FullName, "alerting.service");
            await File.WriteAllTextAsync(path, unit);
            var info = new ProcessStartInfo(Analyze) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            info.ArgumentList.Add("verify");
            info.ArgumentList.Add(path);
            using var process = Process.Start(info)!;
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TestServer.Patience);
            await process.WaitForExitAsync(timeout.Token);
            return [.. ((await output) + (await error)).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    /// <summary>Skipped, with the reason, where systemd-analyze is not installed.</summary>
    [AttributeUsage(AttributeTargets.Method)]
    private sealed class SystemdAnalyzeFactAttribute : FactAttribute
    {
        public SystemdAnalyzeFactAttribute()
        {
            if (!File.Exists(Analyze))
            {
                Skip = $"needs {Analyze} (Debian package systemd)";
            }
        }
    }
}
