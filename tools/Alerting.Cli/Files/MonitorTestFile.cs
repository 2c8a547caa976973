using Alerting.Protocol.Log;
using Monitor = Alerting.Protocol.Log.Monitor;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Alerting.Cli.Files;

/// <summary>
/// A monitor unit test (<c>alertctl test</c>): monitors as a monitor file writes them, input series
/// in <see cref="SeriesNotation"/> at a step, how long to run, and the expected state changes.
/// Times are offsets from the start of the test (<c>0s</c>, <c>90s</c>, <c>5m</c>).
/// </summary>
internal sealed class MonitorTestFile
{
    /// <summary>Longest logical time one test may run; a guard against a typo like 1000d.</summary>
    public const long MaxRunMs = 7L * 24 * 3_600_000;

    private static readonly string[] Fields = ["step", "run_for", "monitors", "input_series", "expected"];

    /// <summary>One input series: its metric and tags, one value (or none) per step, and its metric type (<c>type:</c> gauge, count, rate or distribution; default gauge).</summary>
    public sealed record Series(string Metric, IReadOnlyList<string> Tags, IReadOnlyList<double?> Values, Protocol.Log.SeriesType Type = Protocol.Log.SeriesType.Unspecified);

    /// <summary>
    /// One expected state change: when, of which monitor (by name) and group, into which state, and
    /// optionally the message it renders (null: not checked).
    /// </summary>
    public sealed record Expected(long AtMs, string Monitor, string Group, string State, string? Message = null);

    public long StepMs { get; private set; } = 60_000;

    public long RunForMs { get; private set; }

    public List<Monitor> Monitors { get; } = [];

    public List<Series> InputSeries { get; } = [];

    public List<Expected> ExpectedChanges { get; } = [];

    public List<FileError> Errors { get; } = [];

    public static MonitorTestFile Parse(string file, string text)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(text);
        var test = new MonitorTestFile();
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException e)
        {
            test.Errors.Add(new FileError(file, (int)e.Start.Line, (int)e.Start.Column, "", e.InnerException?.Message ?? e.Message));
            return test;
        }

        if (stream.Documents.Count != 1 || stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            test.Errors.Add(new FileError(file, 1, 0, "", "a test file is one mapping of step, run_for, monitors, input_series and expected"));
            return test;
        }

        test.Read(file, root);
        return test;
    }

    private void Read(string file, YamlMappingNode root)
    {
        void Error(YamlNode node, string field, string message) => Errors.Add(new FileError(file, (int)node.Start.Line, (int)node.Start.Column, field, message));

        foreach ((YamlNode key, YamlNode _) in root.Children)
        {
            if (key is YamlScalarNode { Value: { } name } && !Fields.Contains(name))
            {
                Error(key, "", $"unknown field '{name}' (expected {string.Join(", ", Fields)})");
            }
        }

        if (Child(root, "step") is YamlScalarNode step)
        {
            if (DurationText.TryParseMs(step.Value ?? "", out long stepMs, out _) && stepMs > 0)
            {
                StepMs = stepMs;
            }
            else
            {
                Error(step, "step", $"'{step.Value}' is not a positive duration like 15s or 1m");
            }
        }

        if (Child(root, "monitors") is not YamlSequenceNode monitors)
        {
            Error(root, "monitors", "a list of monitors is required");
        }
        else
        {
            // The monitors are a monitor file's list: read by the same reader as monitors apply.
            using var writer = new StringWriter();
            new YamlStream(new YamlDocument(monitors)).Save(writer, assignAnchors: false);
            MonitorFileResult result = MonitorFile.Parse(file, writer.ToString());
            Errors.AddRange(result.Errors.Select(e => e with { Line = (int)monitors.Start.Line, Column = 0, Field = $"monitors{e.Field}" }));
            Monitors.AddRange(result.Monitors);
        }

        long lastMs = 0;
        if (Child(root, "input_series") is YamlSequenceNode inputs)
        {
            for (int i = 0; i < inputs.Children.Count; i++)
            {
                string path = $"input_series[{i}]";
                YamlNode node = inputs.Children[i];
                if (node is not YamlMappingNode item || Scalar(item, "series") is not { } series || Scalar(item, "values") is not { } values)
                {
                    Error(node, path, "an input series is a mapping of series ('metric{tag:value,...}') and values ('50 60 95x3 _ 40')");
                    continue;
                }

                if (!PointLine.TryParse($"{series} 0 0", 0, out Protocol.V1.Point? point, out string error) || point is null)
                {
                    Error(node, $"{path}.series", error.Length > 0 ? error : "missing series");
                    continue;
                }

                if (!SeriesNotation.TryExpand(values, out List<double?> expanded, out error))
                {
                    Error(node, $"{path}.values", error);
                    continue;
                }

                var type = Protocol.Log.SeriesType.Unspecified;
                if (Scalar(item, "type") is { } typeName)
                {
                    switch (typeName)
                    {
                        case "gauge": type = Protocol.Log.SeriesType.Gauge; break;
                        case "count": type = Protocol.Log.SeriesType.Count; break;
                        case "rate": type = Protocol.Log.SeriesType.Rate; break;
                        case "distribution": type = Protocol.Log.SeriesType.Distribution; break;
                        default:
                            Error(node, $"{path}.type", $"'{typeName}' is not a metric type (gauge, count, rate or distribution)");
                            continue;
                    }
                }

                InputSeries.Add(new Series(point.Metric, point.Tags.Order(StringComparer.Ordinal).ToList(), expanded, type));
                lastMs = Math.Max(lastMs, (expanded.Count - 1) * StepMs);
            }
        }
        else
        {
            Error(root, "input_series", "a list of input series is required");
        }

        RunForMs = lastMs;
        if (Child(root, "run_for") is YamlScalarNode runFor)
        {
            if (!DurationText.TryParseMs(runFor.Value ?? "", out long ms, out _) || ms > MaxRunMs)
            {
                Error(runFor, "run_for", $"'{runFor.Value}' is not a duration up to 7d");
            }
            else
            {
                RunForMs = ms;
            }
        }
        else if (RunForMs > MaxRunMs)
        {
            Error(root, "input_series", "the series run longer than 7d");
        }

        if (Child(root, "expected") is YamlSequenceNode expected)
        {
            for (int i = 0; i < expected.Children.Count; i++)
            {
                string path = $"expected[{i}]";
                YamlNode node = expected.Children[i];
                if (node is not YamlMappingNode item || Scalar(item, "at") is not { } at || Scalar(item, "monitor") is not { } monitor || Scalar(item, "state") is not { } state)
                {
                    Error(node, path, "an expected change is a mapping of at, monitor, group (empty for one group), state and optionally message");
                    continue;
                }

                if (!DurationText.TryParseMs(at, out long atMs, out _))
                {
                    Error(node, $"{path}.at", $"'{at}' is not a duration like 90s or 5m");
                    continue;
                }

                string upper = state.ToUpperInvariant();
                if (upper is not ("OK" or "WARN" or "ALERT" or "NO_DATA"))
                {
                    Error(node, $"{path}.state", $"'{state}' is not OK, WARN, ALERT or NO_DATA");
                    continue;
                }

                if (!Monitors.Any(m => m.Name == monitor))
                {
                    Error(node, $"{path}.monitor", $"no monitor named '{monitor}' in this file");
                    continue;
                }

                ExpectedChanges.Add(new Expected(atMs, monitor, Scalar(item, "group") ?? "", upper, Scalar(item, "message")));
            }
        }
        else if (Child(root, "expected") is { } other && other is not YamlScalarNode { Value: null or "" })
        {
            Error(other, "expected", "a list of expected state changes (empty: none expected)");
        }
    }

    private static YamlNode? Child(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out YamlNode? child) ? child : null;

    private static string? Scalar(YamlMappingNode node, string key) => Child(node, key) is YamlScalarNode { Value: { } value } ? value : null;
}
