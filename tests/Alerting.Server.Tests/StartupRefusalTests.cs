using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Alerting.Engine.Journal;
using Alerting.Engine.Pipeline;
using Alerting.Engine.Snapshots;
using Alerting.Protocol.Log;
using Alerting.Server.Hosting;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Alerting.Server.Tests;

/// <summary>
/// Issue 9 items 4 to 6 as an operator meets them: the real server process, started on a
/// damaged data folder (or a taken port, or a bad flag), prints one line saying what, which file
/// and what to do, and exits with its documented code (<see cref="StartupFailure"/>), never a
/// stack trace. The data folder is written first by an engine node in this process.
/// </summary>
public sealed class StartupRefusalTests : IDisposable
{
    private static readonly TimeSpan ExitPatience = TimeSpan.FromSeconds(60);

    private readonly string _data = TestServer.NewDataDirectory();

    public void Dispose()
    {
        if (Directory.Exists(_data))
        {
            Directory.Delete(_data, recursive: true);
        }
    }

    [Fact]
    public async Task A_deleted_journal_folder_is_refused_with_exit_code_3_and_one_line_naming_it()
    {
        await WriteEntriesAsync(20);
        Directory.Delete(Path.Combine(_data, "journal"), recursive: true);

        var run = await RunToExitAsync("--data-dir", _data, "--grpc-port", "0", "--http-port", "0");

        Assert.Equal(StartupFailure.DataFolderRefused, run.Exit);
        var line = run.SingleErrorLine();
        Assert.StartsWith("alerting: cannot start: data folder ", line, StringComparison.Ordinal);
        Assert.Contains($"'{Path.Combine(_data, "journal")}' is missing", line, StringComparison.Ordinal);
        Assert.Contains("--force-empty", line, StringComparison.Ordinal);
        run.AssertNoStackTrace();
    }

    [Fact]
    public async Task A_deleted_high_water_mark_and_commit_file_is_refused_with_exit_code_3()
    {
        await WriteEntriesAsync(20);
        File.Delete(Path.Combine(_data, "journal", "hwm"));
        File.Delete(Path.Combine(_data, "journal", FasterJournal.CommitDirectoryName, "commit"));

        var run = await RunToExitAsync("--data-dir", _data, "--grpc-port", "0", "--http-port", "0");

        Assert.Equal(StartupFailure.DataFolderRefused, run.Exit);
        Assert.Contains("high-water mark 'hwm' is missing", run.SingleErrorLine(), StringComparison.Ordinal);
        run.AssertNoStackTrace();
    }

    [Fact]
    public async Task A_corrupt_journal_record_is_refused_with_exit_code_3_not_a_stack_trace()
    {
        await WriteEntriesAsync(20);
        var segment = Path.Combine(_data, "journal", FasterJournal.SegmentFilePrefix + ".0");
        using (var file = new FileStream(segment, FileMode.Open, FileAccess.ReadWrite))
        {
            // Inside the payload of an early committed record (the log starts at address 64).
            file.Position = 120;
            var b = file.ReadByte();
            file.Position = 120;
            file.WriteByte((byte)(b ^ 0x5A));
        }

        var run = await RunToExitAsync("--data-dir", _data, "--grpc-port", "0", "--http-port", "0");

        Assert.Equal(StartupFailure.DataFolderRefused, run.Exit);
        var line = run.SingleErrorLine();
        Assert.Contains("the journal is corrupt", line, StringComparison.Ordinal);
        Assert.Contains(Path.Combine(_data, "journal"), line, StringComparison.Ordinal);
        run.AssertNoStackTrace();
    }

    [Fact]
    public async Task A_taken_port_exits_with_code_4_and_one_line()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;

        var run = await RunToExitAsync("--data-dir", _data, "--grpc-port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--http-port", "0");

        Assert.Equal(StartupFailure.PortInUse, run.Exit);
        var line = run.SingleErrorLine();
        Assert.Contains("a port is already in use", line, StringComparison.Ordinal);
        Assert.Contains($":{port}", line, StringComparison.Ordinal);
        run.AssertNoStackTrace();
    }

    [Fact]
    public async Task A_bad_option_exits_with_code_2_and_one_line()
    {
        var run = await RunToExitAsync("--data-dir", _data, "--grpc-port", "seventy");

        Assert.Equal(StartupFailure.BadOptions, run.Exit);
        Assert.Contains("bad options: Failed to convert configuration value 'seventy' at 'GrpcPort'", run.SingleErrorLine(), StringComparison.Ordinal);
        run.AssertNoStackTrace();
    }

    [Fact]
    public async Task Force_empty_starts_the_refused_folder_empty_and_says_so_loudly()
    {
        await WriteEntriesAsync(20);
        Directory.Delete(Path.Combine(_data, "journal"), recursive: true);

        var lines = await RunUntilListeningAsync("--data-dir", _data, "--grpc-port", "0", "--http-port", "0", "--force-empty");

        Assert.Contains(lines, l => l.StartsWith("alerting: WARNING: --force-empty: started EMPTY; the previous data was moved to " + Path.Combine(_data, "discarded-"), StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("(snapshot at 0, 0 entries replayed)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_snapshot_that_passes_its_CRC_but_does_not_decode_is_skipped_and_logged_not_a_crash()
    {
        await WriteEntriesAsync(20);
        var store = new SnapshotStore(Path.Combine(_data, "snapshots"));
        store.Write(20, 1, [0xFF, 0xFF, 0xFF, 0xFF, 0x07]);

        var lines = await RunUntilListeningAsync("--data-dir", _data, "--grpc-port", "0", "--http-port", "0");

        Assert.Contains(lines, l => l.StartsWith($"alerting: warning: recovery skipped snapshot 20 ({store.PathFor(20)}): passes its CRC but does not decode", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("(snapshot at 0, 20 entries replayed)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_failed_snapshot_makes_readiness_degraded_with_the_reason()
    {
        var node = EngineNode.Open(new EngineOptions { DataDirectory = _data, RunClock = false, InputRingSize = 1024, SnapshotEveryEntries = 1000 });
        try
        {
            await (node.TryWrite(Entry(1)) ?? throw new InvalidOperationException("ring full"));
            var snapshots = Path.Combine(_data, "snapshots");
            Directory.Delete(snapshots, recursive: true);
            File.WriteAllBytes(snapshots, []);
            var healthy = await new EngineHealthCheck(node).CheckHealthAsync(new HealthCheckContext());
            Assert.Equal(HealthStatus.Healthy, healthy.Status);

            // The shutdown snapshot fails; the node records it (a running node's background
            // snapshot takes the same path, DataFolderTests in the engine tests show it).
            node.Dispose();
            Assert.NotNull(node.SnapshotFailure);
            var degraded = new EngineHealthCheck(node).CheckHealthAsync(new HealthCheckContext());
            var result = await degraded;
            Assert.Equal(HealthStatus.Degraded, result.Status);
            Assert.Contains($"snapshot at index 1 in '{Path.Combine(snapshots, SnapshotStore.FileNameFor(1))}' failed", result.Description, StringComparison.Ordinal);
            File.Delete(snapshots);
        }
        finally
        {
            node.Dispose();
        }
    }

    private static LogEntry Entry(int i) => new() { MonitorDeleted = new MonitorDeleted { MonitorId = $"m-{i}" } };

    private async Task WriteEntriesAsync(int count)
    {
        using var node = EngineNode.Open(new EngineOptions { DataDirectory = _data, RunClock = false, InputRingSize = 1024 });
        for (var i = 0; i < count; i++)
        {
            await (node.TryWrite(Entry(i)) ?? throw new InvalidOperationException("ring full"));
        }
    }

    private static Process Start(string[] args)
    {
        var start = new ProcessStartInfo(Faults.ServerProcess.DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Alerting.Server.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        return Process.Start(start) ?? throw new InvalidOperationException("could not start the server");
    }

    private static async Task<Run> RunToExitAsync(params string[] args)
    {
        using var process = Start(args);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(ExitPatience);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill();
            throw new TimeoutException($"the server did not exit within {ExitPatience.TotalSeconds} s: {await stdout} {await stderr}");
        }

        return new Run(process.ExitCode, await stdout, await stderr);
    }

    /// <summary>Starts the server, reads stdout up to its "gRPC ... on" line, then kills it (SIGKILL).</summary>
    private static async Task<List<string>> RunUntilListeningAsync(params string[] args)
    {
        using var process = Start(args);
        var stderr = process.StandardError.ReadToEndAsync();
        var lines = new List<string>();
        using var timeout = new CancellationTokenSource(ExitPatience);
        try
        {
            while (await process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
            {
                lines.Add(line);
                if (line.StartsWith("alerting: gRPC", StringComparison.Ordinal))
                {
                    return lines;
                }
            }

            throw new InvalidOperationException($"the server exited ({string.Join(" | ", lines)}): {await stderr}");
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill();
            }

            await process.WaitForExitAsync(CancellationToken.None);
        }
    }

    private sealed record Run(int Exit, string Stdout, string Stderr)
    {
        public string SingleErrorLine()
        {
            var lines = Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            Assert.True(lines.Length == 1, $"one line expected on stderr, got {lines.Length}: {Stderr} (stdout: {Stdout})");
            return lines[0];
        }

        public void AssertNoStackTrace()
        {
            Assert.DoesNotContain("   at ", Stdout + Stderr, StringComparison.Ordinal);
            Assert.DoesNotContain("Unhandled exception", Stdout + Stderr, StringComparison.Ordinal);
        }
    }
}
