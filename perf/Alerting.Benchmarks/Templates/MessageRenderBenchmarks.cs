using System.Text;
using Alerting.Engine.Monitors.Templates;
using Alerting.Engine.State;
using BenchmarkDotNet.Attributes;

namespace Alerting.Benchmarks.Templates;

/// <summary>
/// Issue 9's template: <c>{{group}}</c> × 1 111 over a group of 16 tags of 195 chars. <c>Uncut</c> is
/// rendering as it was (the whole text, 3.5 M chars); <c>Render</c> is the bounded render the state machine
/// calls, which keeps <see cref="TemplateLimits.MaxRenderedBytes"/> and drops the rest as it goes.
/// </summary>
[MemoryDiagnoser]
public class MessageRenderBenchmarks
{
    private MessageTemplate _template = null!;
    private TemplateContext _context;

    [GlobalSetup]
    public void Setup()
    {
        var tags = Enumerable.Range(0, 16).Select(i => $"t{i:D2}:" + new string((char)('a' + i), 190)).ToArray();
        _template = MessageTemplate.Parse(string.Concat(Enumerable.Repeat("{{group}}", 1_111)));
        _context = new TemplateContext
        {
            MonitorId = "mon-1",
            MonitorName = "wide",
            GroupKey = string.Join(',', tags),
            GroupTags = tags,
            Value = 200,
            Threshold = 90,
            State = AlertState.Alert,
            PreviousState = AlertState.Ok,
            TimeMs = 1_714_566_896_789,
        };
    }

    [Benchmark(Baseline = true)]
    public int Uncut()
    {
        var builder = new StringBuilder();
        _template.RenderTo(_context, builder);
        return builder.ToString().Length;
    }

    [Benchmark]
    public int Render() => _template.Render(_context).Length;
}
