using Alerting.Server.Hosting;

namespace Alerting.Cli.Tests.Server;

/// <summary><c>alerts tail</c> keeps going across a server restart, missing and repeating nothing.</summary>
public sealed class TailResumeTests
{
    private static readonly TimeSpan WaitLimit = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Tail_resumes_after_a_server_restart_without_gaps_or_repeats()
    {
        string data = Path.Combine(Path.GetTempPath(), $"alertctl-tail-{Guid.NewGuid():N}");
        ServerHost first = await ServerHost.StartAsync(ServerFixture.Options(data));
        string address = first.GrpcAddress.ToString().TrimEnd('/');
        ServerHost? second = null;
        var output = new SignallingWriter();
        using var stop = new CancellationTokenSource(WaitLimit);
        try
        {
            CliResult apply = await CliRunner.RunAsync(["monitors", "apply", "-f", "-", "--server", address], stdin: CliAgainstServerTests.CpuMonitor("tail-resume", threshold: 90));
            Assert.True(apply.ExitCode == 0, apply.ToString());
            await Write(address, "system.cpu.user{host:web-1} 97.5\n");

            Task<CliResult> tail = CliRunner.RunAsync(["alerts", "tail", "--from", "0", "--json", "--server", address], stdout: output, cancellation: stop.Token);
            await output.WaitFor(IsTransitionTo("ALERT")).WaitAsync(WaitLimit);

            await first.DisposeAsync();
            second = await ServerHost.StartAsync(ServerFixture.Options(data, first.GrpcAddress.Port));
            await Write(address, "system.cpu.user{host:web-1} 0\nsystem.cpu.user{host:web-1} 0\nsystem.cpu.user{host:web-1} 0\n");
            await output.WaitFor(IsTransitionTo("OK")).WaitAsync(WaitLimit);
            await stop.CancelAsync();
            CliResult result = await tail;

            Assert.Equal(0, result.ExitCode);
            Assert.Contains("resuming after log index", result.Error, StringComparison.Ordinal);
            Assert.Single(output.Lines, line => IsTransitionTo("ALERT")(line));
            Assert.Single(output.Lines, line => IsTransitionTo("OK")(line));
        }
        finally
        {
            await first.DisposeAsync();
            if (second is not null)
            {
                await second.DisposeAsync();
            }

            Directory.Delete(data, recursive: true);
        }
    }

    private static Func<string, bool> IsTransitionTo(string state) =>
        line => line.Contains($"\"new_state\": \"{state}\"", StringComparison.Ordinal) && line.Contains("host:web-1", StringComparison.Ordinal);

    private static async Task Write(string address, string points)
    {
        CliResult write = await CliRunner.RunAsync(["write", "--server", address], stdin: points);
        Assert.True(write.ExitCode == 0, write.ToString());
    }
}
