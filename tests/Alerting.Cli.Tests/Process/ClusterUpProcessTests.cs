using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using Alerting.Protocol.V1;
using Grpc.Net.Client;
using Xunit.Abstractions;

namespace Alerting.Cli.Tests.Process;

/// <summary>
/// <c>alertctl cluster up</c> as a newcomer runs it: the real binary starts three server processes,
/// points written through <c>alertctl write --nodes</c> are acknowledged, the primary is killed with
/// SIGKILL, writes continue on the new primary, and SIGTERM to alertctl stops the nodes left.
/// </summary>
public sealed partial class ClusterUpProcessTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(180);
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "alertctl-up-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task Cluster_up_starts_three_nodes_and_writes_continue_after_the_primary_is_killed_and_sigterm_stops_the_rest()
    {
        using var timeout = new CancellationTokenSource(Patience);
        var ct = timeout.Token;
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { AlertctlProcessTests.CliAssemblyPath(), "cluster", "up", "--dir", _dir, "--base-port", "0", "--server-bin", Path.Combine(AppContext.BaseDirectory, "Alerting.Server.dll") })
        {
            start.ArgumentList.Add(arg);
        }

        using var up = System.Diagnostics.Process.Start(start)!;
        var lines = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var exited = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        up.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not { } line)
            {
                return;
            }

            lines.Enqueue(line);
            if (line == "Ctrl-C stops all three.")
            {
                ready.TrySetResult();
            }
            else if (line.Contains(" exited with code ", StringComparison.Ordinal))
            {
                exited.TrySetResult(line);
            }
        };
        up.ErrorDataReceived += (_, e) => lines.Enqueue("stderr: " + e.Data);
        up.BeginOutputReadLine();
        up.BeginErrorReadLine();
        var pids = new Dictionary<int, int>();
        try
        {
            var first = await Task.WhenAny(ready.Task, up.WaitForExitAsync(ct));
            Assert.True(first == ready.Task, $"cluster up did not come up: {string.Join(Environment.NewLine, lines)}");
            var grpc = new Dictionary<int, string>();
            int primary = 0;
            foreach (var line in lines)
            {
                if (NodeLine().Match(line) is { Success: true } m)
                {
                    var id = int.Parse(m.Groups["id"].Value, CultureInfo.InvariantCulture);
                    pids[id] = int.Parse(m.Groups["pid"].Value, CultureInfo.InvariantCulture);
                    grpc[id] = m.Groups["grpc"].Value;
                    Assert.True(Directory.Exists(m.Groups["data"].Value), $"node {id}'s data folder {m.Groups["data"].Value} exists");
                }
                else if (line.StartsWith("primary: node ", StringComparison.Ordinal))
                {
                    primary = int.Parse(line["primary: node ".Length..], CultureInfo.InvariantCulture);
                }
            }

            Assert.Equal([1, 2, 3], pids.Keys.Order());
            Assert.InRange(primary, 1, 2);
            Assert.Contains(lines, l => l == $"status:  alertctl cluster status --nodes {grpc[1]},{grpc[2]},{grpc[3]}");
            var dataNodes = $"{grpc[1]},{grpc[2]}";
            Assert.Contains(lines, l => l.StartsWith($"use:     alertctl --server {grpc[primary]} ...", StringComparison.Ordinal));

            var before = await WriteAsync(dataNodes, "up.test{host:a} 1\nup.test{host:b} 2\n", ct);
            // The lead may have moved since the banner (a loaded machine can cost a primary its term): kill the node that leads now.
            var known = await StatusAsync(grpc[primary], ct);
            if (known.Role != "primary" && int.TryParse(known.PrimaryId, NumberStyles.Integer, CultureInfo.InvariantCulture, out var leads) && leads is 1 or 2)
            {
                primary = leads;
            }

            var termBefore = (await StatusAsync(grpc[primary], ct)).Term;

            // kill -9 of the primary: alertctl reports it and keeps the others running.
            using (var victim = System.Diagnostics.Process.GetProcessById(pids[primary]))
            {
                victim.Kill();
                await victim.WaitForExitAsync(ct);
            }

            Assert.Contains($"node {primary} (pid {pids[primary]}) exited with code 137", await exited.Task.WaitAsync(ct), StringComparison.Ordinal);

            // Writes continue: alertctl write follows the new primary.
            var after = await WriteAsync(dataNodes, "up.test{host:c} 3\nup.test{host:d} 4\n", ct);
            Assert.True(after > before, $"the second write is at a later log index ({after} after {before})");
            var survivor = 3 - primary;
            var status = await StatusAsync(grpc[survivor], ct);
            Assert.Equal("primary", status.Role);
            Assert.True(status.Term > termBefore, $"node {survivor} leads a later term ({status.Term} after {termBefore})");
            Assert.True(status.CommitIndex >= after, $"the new primary committed the write (commit {status.CommitIndex}, write at {after})");

            // SIGTERM (as Ctrl-C) stops the nodes left and alertctl exits 0.
            Assert.Equal(0, Kill(up.Id, 15));
            await up.WaitForExitAsync(ct);
            output.WriteLine(string.Join(Environment.NewLine, lines));
            Assert.Equal(0, up.ExitCode);
            Assert.Contains("stopping the cluster", lines);
            foreach (var id in new[] { survivor, 3 })
            {
                Assert.False(IsRunning(pids[id]), $"node {id} (pid {pids[id]}) stopped with alertctl");
            }
        }
        catch (Exception) when (Describe(lines))
        {
            throw;
        }
        finally
        {
            if (!up.HasExited)
            {
                up.Kill();
            }

            foreach (var pid in pids.Values.Where(IsRunning))
            {
                using var left = System.Diagnostics.Process.GetProcessById(pid);
                left.Kill();
            }
        }
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private bool Describe(IEnumerable<string> lines)
    {
        output.WriteLine(string.Join(Environment.NewLine, lines));
        return false;
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>Runs <c>alertctl write --nodes</c> with these lines; returns the log index it reports durable.</summary>
    private static async Task<ulong> WriteAsync(string nodes, string points, CancellationToken ct)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { AlertctlProcessTests.CliAssemblyPath(), "write", "--nodes", nodes, "--deadline", "60s" })
        {
            start.ArgumentList.Add(arg);
        }

        using var process = System.Diagnostics.Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        await process.StandardInput.WriteAsync(points);
        process.StandardInput.Close();
        await process.WaitForExitAsync(ct);
        Assert.True(process.ExitCode == 0, $"alertctl write exited {process.ExitCode}: {await stdout} {await stderr}");
        var match = Regex.Match(await stdout, @"^accepted 2, rejected 0, malformed lines 0, durable up to log index (\d+)", RegexOptions.None, TimeSpan.FromSeconds(1));
        Assert.True(match.Success, await stdout);
        return ulong.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
    }

    private static async Task<StatusResponse> StatusAsync(string address, CancellationToken ct)
    {
        using var channel = GrpcChannel.ForAddress(address);
        return await new Cluster.ClusterClient(channel).StatusAsync(new StatusRequest(), cancellationToken: ct);
    }

    [GeneratedRegex(@"^node (?<id>\d)  (data   |witness)  pid (?<pid>\d+)  gRPC (?<grpc>\S+)  HTTP (?<http>\S+)  data (?<data>.+)$")]
    private static partial Regex NodeLine();

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
