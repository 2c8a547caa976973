using System.Text.Json;
using Alerting.Server.Hosting;

namespace Alerting.Cli.Tests.Server;

/// <summary><c>alertctl settings get|set</c> against a real server of its own (the settings it sets are state).</summary>
public sealed class SettingsCommandTests : IAsyncLifetime
{
    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), $"alertctl-settings-{Guid.NewGuid():N}");
    private ServerHost? _host;

    private string Address => (_host ?? throw new InvalidOperationException("the server is not started")).GrpcAddress.ToString().TrimEnd('/');

    public async Task InitializeAsync() => _host = await ServerHost.StartAsync(ServerFixture.Options(_dataDirectory));

    public async Task DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }

        Directory.Delete(_dataDirectory, recursive: true);
    }

    [Fact]
    public async Task Set_changes_the_options_given_and_get_shows_them_as_a_table_and_as_json()
    {
        CliResult before = await CliRunner.RunAsync(["settings", "get", "--server", Address]);
        CliResult set = await CliRunner.RunAsync(["settings", "set", "--series-retention", "2h", "--match-step-series", "64", "--server", Address]);
        CliResult after = await CliRunner.RunAsync(["settings", "get", "--json", "--server", Address]);

        Assert.True(before.ExitCode == 0, before.ToString());
        Assert.Contains("series_retention   1d", before.Out, StringComparison.Ordinal);
        Assert.Contains("series_sweep_step  1024", before.Out, StringComparison.Ordinal);
        Assert.True(set.ExitCode == 0, set.ToString());
        Assert.Contains("engine settings written at log index", set.Out, StringComparison.Ordinal);
        Assert.Contains("series_retention   2h", set.Out, StringComparison.Ordinal);
        Assert.Contains("match_step_series  64", set.Out, StringComparison.Ordinal);
        Assert.True(after.ExitCode == 0, after.ToString());
        using JsonDocument json = JsonDocument.Parse(Assert.Single(CliAgainstServerTests.Lines(after.Out)));
        JsonElement settings = json.RootElement.GetProperty("settings");
        Assert.Equal(7_200_000, long.Parse(settings.GetProperty("series_retention_ms").ToString(), System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(1024, settings.GetProperty("series_sweep_step").GetInt32());
        Assert.Equal(64, settings.GetProperty("match_step_series").GetInt32());
    }

    [Fact]
    public async Task A_value_the_server_refuses_is_its_error_naming_the_field_and_a_malformed_option_a_usage_error()
    {
        CliResult tooShort = await CliRunner.RunAsync(["settings", "set", "--series-retention", "1m", "--server", Address]);
        CliResult notANumber = await CliRunner.RunAsync(["settings", "set", "--series-sweep-step", "many", "--server", Address]);
        CliResult nothing = await CliRunner.RunAsync(["settings", "set", "--server", Address]);
        CliResult unchanged = await CliRunner.RunAsync(["settings", "get", "--server", Address]);

        Assert.Equal(3, tooShort.ExitCode);
        Assert.Contains("InvalidArgument: settings.series_retention_ms: must be in 600000..2592000000 ms (10 min to 30 days)", tooShort.Error, StringComparison.Ordinal);
        Assert.Equal(2, notANumber.ExitCode);
        Assert.Contains("--series-sweep-step must be a positive whole number of series, got 'many'", notANumber.Error, StringComparison.Ordinal);
        Assert.Equal(2, nothing.ExitCode);
        Assert.Contains("give at least one of --series-retention, --series-sweep-step, --match-step-series", nothing.Error, StringComparison.Ordinal);
        Assert.Contains("series_retention   1d", unchanged.Out, StringComparison.Ordinal);
    }
}
