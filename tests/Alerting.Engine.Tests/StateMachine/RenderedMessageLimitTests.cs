using System.Text;
using Alerting.Engine.Monitors.Templates;
using Alerting.Engine.StateMachine;

namespace Alerting.Engine.Tests.StateMachine;

public sealed class RenderedMessageLimitTests
{
    [Fact]
    public void The_history_keeps_the_issue_repro_message_cut_to_the_byte_limit()
    {
        // Issue 9: {{group}} × 1 111 over 16 long group tags rendered 3.46 MB for every event.
        var keys = Enumerable.Range(0, 16).Select(i => $"t{i:D2}").ToArray();
        var tags = keys.Select(k => k + ":" + new string('v', 190)).ToArray();
        var engine = new EngineHarness();
        var monitor = EngineHarness.Metric("wide", $"avg(last_1m):avg:m{{*}} by {{{string.Join(',', keys)}}} > 90", o => o.OnArrival = true);
        monitor.Message = string.Concat(Enumerable.Repeat("{{group}}", 1_111));
        engine.Upsert(monitor);

        engine.Point("m", tags, engine.Now, 200);

        var items = new List<TransitionHistory.HistoryItem>();
        _ = engine.State.History.CopyAfter(0, null, items, 10);
        var item = Assert.Single(items);
        Assert.InRange(Encoding.UTF8.GetByteCount(item.Message), TemplateLimits.MaxRenderedBytes - 40, TemplateLimits.MaxRenderedBytes);
        Assert.Contains(TemplateLimits.TruncationMarkerPrefix, item.Message, StringComparison.Ordinal);
    }
}
