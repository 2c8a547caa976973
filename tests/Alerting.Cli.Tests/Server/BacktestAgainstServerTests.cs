using System.Globalization;
using System.Text.Json;

namespace Alerting.Cli.Tests.Server;

/// <summary><c>alertctl backtest</c> without <c>--points</c>: the server replays its journal through the candidate.</summary>
[Collection(ServerCollection.Name)]
public sealed class BacktestAgainstServerTests(ServerFixture server)
{
    [Fact]
    public async Task Backtest_replays_points_written_to_the_server_and_creates_no_monitor()
    {
        string metric = $"bt.{Guid.NewGuid():N}";
        string name = $"backtest {metric}";
        long fromMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - 60_000;
        string monitor = CliAppTests.TempFile($$$"""
            name: {{{name}}}
            type: metric
            query: "max(last_1m):avg:{{{metric}}}{*} by {host} > 90"
            message: "{{{metric}}} is {{value}} on {{host.name}}"
            options:
              on_arrival: true
              new_group_delay: 0
            """);

        CliResult write = await Run(["write"], $"{metric}{{host:web-1}} 97.5\n{metric}{{host:web-2}} 12\n");
        CliResult backtest = await Run(["backtest", "--monitor", monitor, "--from", fromMs.ToString(CultureInfo.InvariantCulture), "--to", "now", "--json"]);
        CliResult table = await Run(["backtest", "--monitor", monitor, "--from", fromMs.ToString(CultureInfo.InvariantCulture), "--to", "now"]);
        CliResult list = await Run(["monitors", "list", "--name", metric, "--json"]);
        CliResult badQuery = await Run(["backtest", "--monitor", CliAppTests.TempFile($"name: bad\ntype: metric\nquery: \"max(last_1m):avg:{metric}{{*}} >>> 90\"\n"), "--from", fromMs.ToString(CultureInfo.InvariantCulture), "--to", "now"]);

        Assert.True(write.ExitCode == 0, write.ToString());
        Assert.True(backtest.ExitCode == 0, backtest.ToString());
        using (JsonDocument alert = JsonDocument.Parse(Assert.Single(CliAgainstServerTests.Lines(backtest.Out))))
        {
            JsonElement e = alert.RootElement;
            Assert.Equal(("host:web-1", "OK", "ALERT", $"{metric} is 97.5 on web-1", name), (e.GetProperty("group_key").GetString(), e.GetProperty("previous_state").GetString(), e.GetProperty("new_state").GetString(), e.GetProperty("message").GetString(), e.GetProperty("monitor_name").GetString()));
            Assert.True(ulong.Parse(e.GetProperty("log_index").GetString()!, CultureInfo.InvariantCulture) > 0, "a server backtest names the journal entry behind each transition");
        }

        Assert.Contains("OK -> ALERT", table.Out, StringComparison.Ordinal);
        Assert.Empty(CliAgainstServerTests.Lines(list.Out));
        Assert.Equal(ExitCodes.ValidationFailure, badQuery.ExitCode);
        Assert.Contains(":3:", badQuery.Error, StringComparison.Ordinal);
        Assert.Contains("query", badQuery.Error, StringComparison.Ordinal);
    }

    private Task<CliResult> Run(string[] args, string stdin = "") =>
        CliRunner.RunAsync([.. args, "--server", server.GrpcAddress], stdin);
}
