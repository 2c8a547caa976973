using Alerting.Cli.Commands;
using Alerting.Protocol.V1;

namespace Alerting.Cli.Tests.Commands;

public sealed class AlertCommandsTests
{
    [Fact]
    public void A_transition_prints_as_one_line_with_value_threshold_flags_and_message()
    {
        var e = new TransitionEvent
        {
            MonitorId = "m-1",
            MonitorName = "High CPU",
            GroupKey = "host:web-1",
            PreviousState = "OK",
            NewState = "ALERT",
            Value = 97.5,
            Threshold = 90,
            UnixMs = 1_700_000_000_000,
            LogIndex = 12,
            Muted = true,
            Message = "CPU on web-1\nis 97.5",
        };

        Assert.Equal(
            "2023-11-14T22:13:20Z #12 High CPU (m-1) host:web-1 OK -> ALERT value=97.5 threshold=90 [muted] | CPU on web-1 is 97.5",
            AlertCommands.FormatEvent(e));
    }

    [Fact]
    public void A_transition_without_value_or_group_prints_neither()
    {
        var e = new TransitionEvent { MonitorId = "m-1", PreviousState = "ALERT", NewState = "NO_DATA", LogIndex = 3 };

        Assert.Equal("- #3 m-1 * ALERT -> NO_DATA", AlertCommands.FormatEvent(e));
    }
}
