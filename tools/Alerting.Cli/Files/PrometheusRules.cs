using System.Text;
using System.Text.RegularExpressions;
using Alerting.Protocol.Log;
using Monitor = Alerting.Protocol.Log.Monitor;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Alerting.Cli.Files;

/// <summary>
/// Reads a Prometheus rule file (<c>groups[].rules[]</c>) and translates each alerting rule into a
/// monitor where its expression is a single-metric threshold (<see cref="PromQlTranslator"/>):
/// <c>alert</c> is the name (a repeated name gets <c> #2</c>, <c> #3</c>), <c>for</c> and
/// <c>keep_firing_for</c> are the monitor's options of the same name (pending before ALERT, held
/// after the breach ends), <c>labels</c> become tags, <c>summary</c>, <c>description</c> and the
/// other annotations become the message with <c>{{ $labels.x }}</c> as <c>{{x.name}}</c> and
/// <c>{{ $value }}</c> as <c>{{value}}</c>, and the group's <c>interval</c> is the evaluation interval.
/// Every rule that is not translated comes back with the reason.
/// </summary>
internal static partial class PrometheusRules
{
    /// <summary>Most rules one file may hold; a guard against feeding the wrong file.</summary>
    public const int MaxRules = 1_000;

    /// <summary>Annotations that open the message, in this order; the others follow as <c>key: value</c>.</summary>
    private static readonly string[] LeadingAnnotations = ["summary", "description"];

    /// <summary>One rule of the file: where it is, and either its monitor or why there is none.</summary>
    public sealed record Rule(string Path, int Line, string Name, Monitor? Monitor, string Reason, bool IsRecording, IReadOnlyList<string> Notes);

    /// <summary>The rules of a file in order, or the errors that kept the file from being read.</summary>
    public sealed record Result(IReadOnlyList<Rule> Rules, IReadOnlyList<FileError> Errors);

    public static Result Parse(string file, string text)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(text);
        var errors = new List<FileError>();
        var rules = new List<Rule>();
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException e)
        {
            errors.Add(new FileError(file, (int)e.Start.Line, (int)e.Start.Column, "", e.InnerException?.Message ?? e.Message));
            return new Result(rules, errors);
        }

        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode root || Child(root, "groups") is not YamlSequenceNode groups)
        {
            errors.Add(new FileError(file, 1, 0, "groups", "a Prometheus rule file is a mapping with a 'groups' list"));
            return new Result(rules, errors);
        }

        var names = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int g = 0; g < groups.Children.Count; g++)
        {
            string groupPath = $"groups[{g}]";
            if (groups.Children[g] is not YamlMappingNode group || Child(group, "rules") is not YamlSequenceNode list)
            {
                errors.Add(new FileError(file, Line(groups.Children[g]), 0, groupPath, "a group is a mapping with 'name' and a 'rules' list"));
                continue;
            }

            long intervalMs = 0;
            if (Scalar(group, "interval") is { } interval && !PromQlTranslator.TryParseDurationMs(interval, out intervalMs))
            {
                errors.Add(new FileError(file, Line(Child(group, "interval")!), 0, $"{groupPath}.interval", $"'{interval}' is not a duration like 1m"));
                continue;
            }

            for (int r = 0; r < list.Children.Count; r++)
            {
                string path = $"{groupPath}.rules[{r}]";
                if (list.Children[r] is not YamlMappingNode rule)
                {
                    errors.Add(new FileError(file, Line(list.Children[r]), 0, path, "a rule is a mapping with 'alert' (or 'record') and 'expr'"));
                    continue;
                }

                if (rules.Count == MaxRules)
                {
                    errors.Add(new FileError(file, Line(rule), 0, path, $"more than {MaxRules} rules in one file"));
                    return new Result(rules, errors);
                }

                rules.Add(Translate(rule, path, intervalMs, names));
            }
        }

        return new Result(rules, errors);
    }

    private static Rule Translate(YamlMappingNode rule, string path, long intervalMs, Dictionary<string, int> names)
    {
        int line = Line(rule);
        if (Scalar(rule, "record") is { } record)
        {
            return new Rule(path, line, record, null, "recording rule: it computes a series, it does not alert", true, []);
        }

        string alert = Scalar(rule, "alert") ?? "";
        string expr = Scalar(rule, "expr") ?? "";
        if (alert.Length == 0 || expr.Length == 0)
        {
            return new Rule(path, line, alert, null, "an alerting rule needs 'alert' and 'expr'", false, []);
        }

        Dictionary<string, string> labels = Map(rule, "labels");
        Dictionary<string, string> annotations = Map(rule, "annotations");
        var templateLabels = labels.Values.Concat(annotations.Values).SelectMany(t => LabelReference().Matches(t).Select(m => m.Groups[1].Value)).ToList();
        if (!PromQlTranslator.TryTranslate(expr, templateLabels, out PromQlTranslator.Translation? translation, out string reason))
        {
            return new Rule(path, line, alert, null, reason, false, []);
        }

        // Prometheus evaluates a new series at once (its `for` is the only wait): no new-group delay.
        var options = new MonitorOptions { Thresholds = new Thresholds { Critical = translation!.Threshold }, EvaluationIntervalMs = intervalMs, NewGroupDelayMs = 0 };
        foreach ((string field, Action<long> set) in new (string, Action<long>)[] { ("for", ms => options.ForMs = ms), ("keep_firing_for", ms => options.KeepFiringForMs = ms) })
        {
            if (Scalar(rule, field) is { } text)
            {
                if (!PromQlTranslator.TryParseDurationMs(text, out long ms))
                {
                    return new Rule(path, line, alert, null, $"{field}: '{text}' is not a duration like 5m", false, []);
                }

                set(ms);
            }
        }

        int seen = names.GetValueOrDefault(alert) + 1;
        names[alert] = seen;
        var notes = new List<string>();
        string name = seen == 1 ? alert : $"{alert} #{seen}";
        if (seen > 1)
        {
            notes.Add($"alert name '{alert}' is repeated; this rule is the monitor '{name}'");
        }

        var monitor = new Monitor { Name = name, Type = "metric", Query = translation.Query, Message = Message(annotations, notes), Options = options };
        foreach ((string key, string value) in labels.OrderBy(l => l.Key, StringComparer.Ordinal))
        {
            monitor.Tags.Add($"{key}:{Template(value, notes)}");
        }

        return new Rule(path, line, name, monitor, "", false, notes);
    }

    /// <summary>summary, then description, then every other annotation as <c>key: value</c>, one per line.</summary>
    private static string Message(Dictionary<string, string> annotations, List<string> notes)
    {
        var text = new StringBuilder();
        foreach (string key in LeadingAnnotations.Where(annotations.ContainsKey))
        {
            text.AppendLine(Template(annotations[key], notes));
        }

        foreach ((string key, string value) in annotations.Where(a => a.Key is not ("summary" or "description")).OrderBy(a => a.Key, StringComparer.Ordinal))
        {
            text.Append(key).Append(": ").AppendLine(Template(value, notes));
        }

        return text.ToString().TrimEnd();
    }

    /// <summary>Rewrites a Go template into a monitor template: labels and the value carry over, anything else is dropped with a note.</summary>
    internal static string Template(string text, List<string> notes) => GoAction().Replace(text, match =>
    {
        string action = match.Groups[1].Value.Trim();
        string head = action.Split('|', 2)[0].Trim();
        if (head is "$value" or ".Value")
        {
            return "{{value}}";
        }

        Match label = LabelReference().Match(head);
        if (label.Success && label.Length == head.Length && PromQlTranslator.IsTagKey(label.Groups[1].Value))
        {
            return $"{{{{{label.Groups[1].Value}.name}}}}";
        }

        notes.Add($"template action '{{{{{action}}}}}' has no monitor equivalent and was left out");
        return "";
    });

    private static Dictionary<string, string> Map(YamlMappingNode node, string key)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        if (Child(node, key) is YamlMappingNode children)
        {
            foreach ((YamlNode k, YamlNode v) in children.Children)
            {
                if (k is YamlScalarNode { Value: { } name } && v is YamlScalarNode { Value: { } value })
                {
                    map[name] = value;
                }
            }
        }

        return map;
    }

    private static YamlNode? Child(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out YamlNode? child) ? child : null;

    private static string? Scalar(YamlMappingNode node, string key) => Child(node, key) is YamlScalarNode { Value: { Length: > 0 } value } ? value : null;

    private static int Line(YamlNode node) => (int)node.Start.Line;

    [GeneratedRegex(@"\{\{-?(.*?)-?\}\}", RegexOptions.Singleline)]
    private static partial Regex GoAction();

    [GeneratedRegex(@"(?:\$labels|\.Labels)\.([A-Za-z_][A-Za-z0-9_]*)")]
    private static partial Regex LabelReference();
}
