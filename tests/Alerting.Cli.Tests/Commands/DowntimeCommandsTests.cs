using Alerting.Cli.Arguments;
using Alerting.Cli.Commands;
using Alerting.Protocol.Log;

namespace Alerting.Cli.Tests.Commands;

public sealed class DowntimeCommandsTests
{
    private const long Now = 1_700_000_000_000;

    [Fact]
    public void Options_map_to_the_downtime_with_start_now_and_end_from_duration()
    {
        Downtime downtime = Build("--monitor", "m-1", "--scope", "env:prod, host:web-1", "--group", "host:web-1", "--duration", "1h", "--recurrence", "weekly days=mon,fri start=22:00 duration=4h");

        Assert.Equal(
            new Downtime
            {
                MonitorId = "m-1",
                Scope = { "env:prod", "host:web-1" },
                Group = "host:web-1",
                StartUnixMs = Now,
                EndUnixMs = Now + 3_600_000,
                Recurrence = "weekly days=mon,fri start=22:00 duration=4h",
            },
            downtime);
    }

    [Fact]
    public void Times_are_read_as_unix_ms_or_iso_8601_utc()
    {
        Downtime downtime = Build("--start", "2026-01-31T22:00:00Z", "--end", "1769904000000");

        Assert.Equal(DateTimeOffset.Parse("2026-01-31T22:00:00Z", System.Globalization.CultureInfo.InvariantCulture).ToUnixTimeMilliseconds(), downtime.StartUnixMs);
        Assert.Equal(1_769_904_000_000, downtime.EndUnixMs);
        Assert.Equal(0, Build().EndUnixMs);
    }

    [Theory]
    [InlineData("both", "--end", "now", "--duration", "1h")]
    [InlineData("--duration", "--duration", "0s")]
    [InlineData("--duration", "--duration", "soon")]
    [InlineData("--start must be", "--start", "tomorrow-ish")]
    [InlineData("end must be after the start", "--start", "2000", "--end", "1000")]
    public void Contradictory_or_malformed_times_are_usage_errors(string expected, params string[] args)
    {
        var e = Assert.Throws<UsageException>(() => Build(args));

        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Notify_end_options_set_datadog_end_types_and_states_with_defaults_for_the_one_left_out()
    {
        Assert.Null(Build().NotifyEnd);

        var both = Build("--notify-end-types", "expired,canceled", "--notify-end-states", "alert, warn");
        Assert.Equal(["expired", "canceled"], both.NotifyEnd.Types_);
        Assert.Equal(["alert", "warn"], both.NotifyEnd.States);

        var statesOnly = Build("--notify-end-states", "alert");
        Assert.Equal(["expired"], statesOnly.NotifyEnd.Types_);
        Assert.Equal(["alert"], statesOnly.NotifyEnd.States);

        var never = Build("--notify-end-types", "none");
        Assert.Empty(never.NotifyEnd.Types_);
        Assert.Equal(["alert", "no data", "warn"], never.NotifyEnd.States);
    }

    private static Downtime Build(params string[] args) =>
        DowntimeCommands.BuildDowntime(ArgParser.Parse(["downtimes", "create", .. args], CommandTable.All), Now);
}
