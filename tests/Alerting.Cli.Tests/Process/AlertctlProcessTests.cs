using System.Diagnostics;
using Alerting.Cli.Tests.Server;

namespace Alerting.Cli.Tests.Process;

/// <summary>alertctl as operators run it: a child process with real argv, stdin, stdout and exit code.</summary>
[Collection(ServerCollection.Name)]
public sealed class AlertctlProcessTests(ServerFixture server)
{
    [Fact]
    public async Task Points_piped_to_write_are_acknowledged_and_counted()
    {
        (int exit, string stdout, string stderr) = await RunAsync(["write", "--server", server.GrpcAddress], "process.test{host:p-1} 1\nprocess.test 2\n");

        Assert.True(exit == 0, stderr);
        Assert.StartsWith("accepted 2, rejected 0, malformed lines 0, durable up to log index ", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Exit_codes_distinguish_usage_validation_and_connection_failures()
    {
        string badFile = CliAppTests.TempFile("name: a\ntype: metric\nquery: q\nbogus: 1\n");

        (int usage, _, string usageError) = await RunAsync(["monitors", "lst"], "");
        (int validation, _, string validationError) = await RunAsync(["monitors", "validate", "-f", badFile], "");
        (int connect, _, _) = await RunAsync(["cluster", "status", "--server", $"http://127.0.0.1:{CliAppTests.FreePort()}"], "");

        Assert.Equal(2, usage);
        Assert.Contains("unknown command 'monitors lst'", usageError, StringComparison.Ordinal);
        Assert.Equal(1, validation);
        Assert.Contains($"{badFile}:4:1: [0]: unknown field 'bogus'", validationError, StringComparison.Ordinal);
        Assert.Equal(4, connect);
    }

    /// <summary>
    /// alertctl as built in its own output folder: the copy beside the tests would run with the
    /// test's dependency set (the server's shared framework), not the CLI's own.
    /// </summary>
    internal static string CliAssemblyPath()
    {
        // The tests run from tests/Alerting.Cli.Tests/bin/<configuration>/<framework>/.
        var testBin = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        string framework = testBin.Name;
        string configuration = testBin.Parent!.Name;
        for (DirectoryInfo? dir = testBin; dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "tools", "Alerting.Cli", "bin", configuration, framework, "alertctl.dll");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException($"alertctl.dll ({configuration}/{framework}) not found above {testBin.FullName}");
    }

    private static async Task<(int Exit, string Stdout, string Stderr)> RunAsync(string[] args, string stdin)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(CliAssemblyPath());
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment.Remove("ALERTING_SERVER");
        start.Environment.Remove("ALERTING_API_KEY");
        using var process = System.Diagnostics.Process.Start(start)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        await process.StandardInput.WriteAsync(stdin);
        process.StandardInput.Close();
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(limit.Token);
        return (process.ExitCode, await stdout, await stderr);
    }
}
