using Alerting.Cli.Output;
using Alerting.Protocol.Log;
using Monitor = Alerting.Protocol.Log.Monitor;

namespace Alerting.Cli.Tests.Output;

public sealed class MonitorViewTests
{
    [Fact]
    public void Options_show_in_file_names_and_units_and_defaults_are_left_out()
    {
        var monitor = new Monitor
        {
            Id = "7",
            Name = "n",
            Type = "metric",
            Query = "q",
            Options = new MonitorOptions { Thresholds = new Thresholds { Critical = 90 }, EvaluationIntervalMs = 90_000, TimeoutMs = 86_400_000, OnArrival = true },
        };

        var fields = MonitorView.Fields(monitor).ToDictionary(f => f.Name, f => f.Value);

        Assert.Equal("90", fields["critical"]);
        Assert.Equal("90s", fields["evaluation_interval"]);
        Assert.Equal("1d", fields["timeout"]);
        Assert.Equal("true", fields["on_arrival"]);
        Assert.Equal("-", fields["priority"]);
        Assert.False(fields.ContainsKey("warning"));
        Assert.False(fields.ContainsKey("for"));
    }
}
