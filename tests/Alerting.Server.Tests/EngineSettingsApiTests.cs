using System.Net;
using System.Text;
using Alerting.Engine.StateMachine;
using Alerting.Protocol.Log;
using Alerting.Protocol.V1;
using Alerting.Server.Api;
using Alerting.Server.Hosting;
using Google.Protobuf;
using Grpc.Core;

namespace Alerting.Server.Tests;

/// <summary>
/// Engine settings through a real server: <c>Admin.GetEngineSettings</c>/<c>SetEngineSettings</c> over gRPC
/// and JSON, their validation, the settings the configuration names written at start, and a standby's refusal.
/// </summary>
public sealed class EngineSettingsApiTests
{
    private const long Hour = 60 * 60 * 1000;

    private static readonly EngineSettings Defaults = new()
    {
        SeriesRetentionMs = SeriesExpiry.DefaultRetentionMs,
        SeriesSweepStep = Engine.Monitors.IngestLimits.DefaultSeriesSweepStep,
        MatchStepSeries = Engine.Monitors.IngestLimits.DefaultMatchStepSeries,
    };

    private static Admin.AdminClient AdminOf(TestServer server) => new(server.Channel);

    private static ServerOptions Configured(string directory, Action<EngineSettingsOptions> configure)
    {
        var options = TestServer.Options(directory);
        configure(options.EngineSettings);
        return options;
    }

    [Fact]
    public async Task Set_writes_an_entry_that_changes_only_the_fields_given_and_get_reads_it_back()
    {
        await using var server = await TestServer.StartAsync();
        using var timeout = new CancellationTokenSource(TestServer.Patience);
        var call = TestServer.Call(timeout.Token);
        var admin = AdminOf(server);

        var before = await admin.GetEngineSettingsAsync(new GetEngineSettingsRequest(), call);
        Assert.Equal(Defaults, before.Settings);

        var set = await admin.SetEngineSettingsAsync(new SetEngineSettingsRequest { Settings = new EngineSettings { SeriesRetentionMs = 2 * Hour } }, call);
        var after = await admin.GetEngineSettingsAsync(new GetEngineSettingsRequest(), call);

        var expected = new EngineSettings(Defaults) { SeriesRetentionMs = 2 * Hour };
        Assert.Equal(expected, set.Settings);
        Assert.Equal(expected, after.Settings);
        Assert.True(set.LogIndex > before.LogIndex);
        var entry = await server.Host.Node.TryQuery(state => state.Settings.SeriesRetentionMs)!;
        Assert.Equal(2 * Hour, entry);
    }

    [Fact]
    public async Task The_json_route_sets_and_reads_the_settings_and_answers_400_naming_the_field()
    {
        await using var server = await TestServer.StartAsync();
        using var timeout = new CancellationTokenSource(TestServer.Patience);
        using var http = new HttpClient { BaseAddress = server.Host.HttpAddress };
        var route = new Uri("/v1/admin/engine-settings", UriKind.Relative);

        using var body = new StringContent("{\"series_sweep_step\": 7}", Encoding.UTF8, "application/json");
        using var posted = await http.PostAsync(route, body, timeout.Token);
        var postedText = await posted.Content.ReadAsStringAsync(timeout.Token);
        using var read = await http.GetAsync(route, timeout.Token);
        var readText = await read.Content.ReadAsStringAsync(timeout.Token);
        using var badBody = new StringContent("{\"match_step_series\": 70000}", Encoding.UTF8, "application/json");
        using var bad = await http.PostAsync(route, badBody, timeout.Token);
        var badText = await bad.Content.ReadAsStringAsync(timeout.Token);

        Assert.True(posted.IsSuccessStatusCode, postedText);
        Assert.Equal(7, JsonParser.Default.Parse<EngineSettingsResponse>(postedText).Settings.SeriesSweepStep);
        Assert.True(read.IsSuccessStatusCode, readText);
        Assert.Equal(new EngineSettings(Defaults) { SeriesSweepStep = 7 }, JsonParser.Default.Parse<EngineSettingsResponse>(readText).Settings);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("settings.match_step_series: must be in 1..65536", badText, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(60_000L, 0, 0, "settings.series_retention_ms: must be in 600000..2592000000 ms (10 min to 30 days)")]
    [InlineData(31L * 24 * Hour, 0, 0, "settings.series_retention_ms: must be in 600000..2592000000 ms")]
    [InlineData(0L, -5, 0, "settings.series_sweep_step: must be in 1..65536 series per tick")]
    [InlineData(0L, 0, 65_537, "settings.match_step_series: must be in 1..65536 series per tick")]
    [InlineData(0L, 0, 0, "settings: set at least one of series_retention_ms, series_sweep_step, match_step_series")]
    public async Task Values_out_of_bounds_are_invalid_argument_naming_the_field_and_bound_and_write_nothing(long retentionMs, int sweepStep, int matchStep, string expected)
    {
        await using var server = await TestServer.StartAsync();
        using var timeout = new CancellationTokenSource(TestServer.Patience);
        var call = TestServer.Call(timeout.Token);
        var admin = AdminOf(server);
        var before = await admin.GetEngineSettingsAsync(new GetEngineSettingsRequest(), call);

        var settings = new EngineSettings { SeriesRetentionMs = retentionMs, SeriesSweepStep = sweepStep, MatchStepSeries = matchStep };
        var refused = await Assert.ThrowsAsync<RpcException>(async () => await admin.SetEngineSettingsAsync(new SetEngineSettingsRequest { Settings = settings }, call));
        var missing = await Assert.ThrowsAsync<RpcException>(async () => await admin.SetEngineSettingsAsync(new SetEngineSettingsRequest(), call));
        var after = await admin.GetEngineSettingsAsync(new GetEngineSettingsRequest(), call);

        Assert.Equal(StatusCode.InvalidArgument, refused.StatusCode);
        Assert.StartsWith(expected, refused.Status.Detail, StringComparison.Ordinal);
        Assert.Equal((StatusCode.InvalidArgument, "settings: is required"), (missing.StatusCode, missing.Status.Detail));
        Assert.Equal(Defaults, after.Settings);
        Assert.Equal(before.Settings, after.Settings);
    }

    [Fact]
    public async Task The_primary_writes_the_configured_settings_at_start_once_and_an_api_change_stays_until_the_configuration_differs()
    {
        var directory = TestServer.NewDataDirectory();
        try
        {
            var options = Configured(directory, s => { s.SeriesRetentionMs = 3 * Hour; s.MatchStepSeries = 64; });
            var configured = new EngineSettings(Defaults) { SeriesRetentionMs = 3 * Hour, MatchStepSeries = 64 };
            using var timeout = new CancellationTokenSource(TestServer.Patience * 3);
            var call = TestServer.Call(timeout.Token);

            await using (var first = await TestServer.StartAsync(options, ownsDirectory: false))
            {
                Assert.Equal(configured, (await AdminOf(first).GetEngineSettingsAsync(new GetEngineSettingsRequest(), call)).Settings);
                Assert.Equal(1, first.Host.SettingsProposer!.Written);

                // The API changes a value the configuration does not name: a restart keeps it.
                await AdminOf(first).SetEngineSettingsAsync(new SetEngineSettingsRequest { Settings = new EngineSettings { SeriesSweepStep = 16 } }, call);
            }

            await using (var second = await TestServer.StartAsync(Configured(directory, s => { s.SeriesRetentionMs = 3 * Hour; s.MatchStepSeries = 64; }), ownsDirectory: false))
            {
                Assert.Equal(new EngineSettings(configured) { SeriesSweepStep = 16 }, (await AdminOf(second).GetEngineSettingsAsync(new GetEngineSettingsRequest(), call)).Settings);
                Assert.Equal(0, second.Host.SettingsProposer!.Written);
                Assert.Null(second.Host.SettingsProposer!.LastFailure);
            }

            // A different configured value is written at the next start.
            await using var third = await TestServer.StartAsync(Configured(directory, s => s.SeriesRetentionMs = 5 * Hour), ownsDirectory: true);
            Assert.Equal(new EngineSettings(configured) { SeriesRetentionMs = 5 * Hour, SeriesSweepStep = 16 }, (await AdminOf(third).GetEngineSettingsAsync(new GetEngineSettingsRequest(), call)).Settings);
            Assert.Equal(1, third.Host.SettingsProposer!.Written);
        }
        finally
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
    }

    [Fact]
    public async Task A_standby_reads_the_settings_and_refuses_to_set_them_as_unavailable_and_writes_none_of_its_configuration()
    {
        var options = TestServer.Options();
        options.Role = Engine.Pipeline.NodeRole.Standby;
        options.EngineSettings.SeriesRetentionMs = 2 * Hour;
        await using var server = await TestServer.StartAsync(options);
        using var timeout = new CancellationTokenSource(TestServer.Patience);
        var call = TestServer.Call(timeout.Token);
        var admin = AdminOf(server);

        var refused = await Assert.ThrowsAsync<RpcException>(async () => await admin.SetEngineSettingsAsync(new SetEngineSettingsRequest { Settings = new EngineSettings { SeriesSweepStep = 8 } }, call));
        var read = await admin.GetEngineSettingsAsync(new GetEngineSettingsRequest(), call);

        Assert.Equal(StatusCode.Unavailable, refused.StatusCode);
        Assert.Equal(Defaults, read.Settings);
        Assert.Equal(0, server.Host.SettingsProposer!.Written);
    }

    [Theory]
    [InlineData("--series-retention-ms", "60000", "EngineSettings:SeriesRetentionMs: must be in 600000..2592000000 ms")]
    [InlineData("--series-sweep-step", "0", "EngineSettings:SeriesSweepStep must be positive")]
    [InlineData("--match-step-series", "100000", "EngineSettings:MatchStepSeries: must be in 1..65536")]
    public void Configured_settings_out_of_bounds_refuse_the_start_naming_the_setting(string flag, string value, string expected)
    {
        var options = ServerConfiguration.Load([flag, value], new Dictionary<string, string?>());
        var error = Assert.Throws<ServerOptionsException>(() => options.Validate());
        Assert.StartsWith(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_flags_and_the_settings_file_keys_bind_the_engine_settings()
    {
        var options = ServerConfiguration.Load(["--series-retention-ms", "7200000", "--series-sweep-step", "32", "--match-step-series", "128"], new Dictionary<string, string?>());
        Assert.Equal(new EngineSettings { SeriesRetentionMs = 2 * Hour, SeriesSweepStep = 32, MatchStepSeries = 128 }, options.EngineSettings.ToProto());

        var fromEnvironment = ServerConfiguration.Load([], new Dictionary<string, string?> { ["ALERTING_EngineSettings__SeriesRetentionMs"] = "3600000" });
        Assert.Equal(new EngineSettings { SeriesRetentionMs = Hour }, fromEnvironment.EngineSettings.ToProto());
        Assert.False(ServerConfiguration.Load([], new Dictionary<string, string?>()).EngineSettings.IsSet);
        Assert.Null(AdminService.Refusal(fromEnvironment.EngineSettings.ToProto()));
    }
}
