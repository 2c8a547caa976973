using System.Globalization;
using System.Text;
using Alerting.Engine.Monitors.Templates;
using Alerting.Engine.State;
using CsCheck;

namespace Alerting.Engine.Tests.Monitors.Templates;

/// <summary>CsCheck generators of valid templates and of contexts to render them with.</summary>
internal static class TemplateGenerators
{
    public static readonly string[] VariableNames =
        ["value", "threshold", "warn_threshold", "state", "previous_state", "monitor.name", "monitor.id", "group", "last_triggered_at", "last_triggered_at_epoch"];

    public static readonly string[] SectionNames =
        ["is_alert", "is_warning", "is_no_data", "is_recovery", "is_alert_recovery", "is_warning_recovery", "is_alert_to_warning", "is_no_data_recovery", "is_renotify", "is_muted"];

    // Group tags come from these keys; "zone" is never in a group, so its variable renders empty.
    private static readonly string[] TagKeys = ["host", "env", "kube.ns", "zone"];

    // Braces are allowed in literals; Write keeps a '{' from meeting another '{'.
    private const string LiteralChars = "ab xyz:é\n{}}@-";

    // No 'r': raw content can never spell the raw closing tag.
    private const string RawChars = "{}ab /#^";

    private static readonly Gen<string> Padding = Gen.OneOf(Gen.Const(string.Empty), Gen.Const(" "), Gen.Const("\t "));

    private static readonly Gen<TemplatePart> Leaf = Gen.Frequency(
        (3, Gen.Char[LiteralChars].Array[1, 12].Select(chars => (TemplatePart)new LiteralPart(new string(chars)))),
        (1, Gen.Char[RawChars].Array[0, 8].Select(chars => (TemplatePart)new RawPart(new string(chars)))),
        (3, Gen.Select(Pick(VariableNames), Padding, (name, pad) => (TemplatePart)new VariablePart(name, pad))),
        (2, Gen.Select(Pick(TagKeys), Padding, (key, pad) => (TemplatePart)new VariablePart(key + ".name", pad))));

    public static readonly Gen<TemplatePart[]> Template = Parts(depth: 3);

    public static readonly Gen<TemplateContext> Context =
        Gen.Select(
            Gen.Select(Gen.Enum<AlertState>(), Gen.Enum<AlertState>(), Gen.Bool, Gen.Bool),
            Gen.Select(Number, Number, Gen.Frequency((1, Gen.Const((double?)null)), (3, Number.Select(n => (double?)n)))),
            Gen.Select(Gen.Select(Pick(TagKeys[..3]), Pick("a", "b:c", "")).Array[0, 3], Gen.String[0, 10], Gen.Long[-62_135_596_800_000, 253_402_300_799_999]),
            (flags, numbers, group) => new TemplateContext
            {
                MonitorId = "m-" + group.Item2.Length.ToString(CultureInfo.InvariantCulture),
                MonitorName = group.Item2,
                GroupKey = string.Join(',', group.Item1.Select(t => t.Item1 + ":" + t.Item2)),
                GroupTags = [.. group.Item1.Select(t => t.Item1 + ":" + t.Item2)],
                State = flags.Item1,
                PreviousState = flags.Item2,
                IsRenotify = flags.Item3,
                IsMuted = flags.Item4,
                Value = numbers.Item1,
                Threshold = numbers.Item2,
                WarningThreshold = numbers.Item3,
                TimeMs = group.Item3,
            });

    private static Gen<T> Pick<T>(params T[] choices) => Gen.Int[0, choices.Length - 1].Select(i => choices[i]);

    private static Gen<double> Number => Gen.Frequency(
        (1, Gen.Const(double.NaN)),
        (1, Pick(0.0, -0.0, 0.1 + 0.2, 1e300, -1e-300, double.PositiveInfinity)),
        (3, Gen.Int[-1000, 1000].Select(i => (double)i)),
        (3, Gen.Double));

    private static Gen<TemplatePart[]> Parts(int depth)
    {
        Gen<TemplatePart> part = depth == 0
            ? Leaf
            : Gen.Frequency(
                (4, Leaf),
                (1, Gen.Select(Pick(SectionNames), Gen.Bool, Padding, Parts(depth - 1), (name, negated, pad, body) => (TemplatePart)new SectionPart(name, negated, pad, body))));
        return part.Array[0, 6];
    }

    /// <summary>The template text of a tree.</summary>
    public static string Write(TemplatePart[] parts)
    {
        var text = new StringBuilder();
        Write(parts, text);
        return text.ToString();
    }

    private static void Write(TemplatePart[] parts, StringBuilder text)
    {
        foreach (TemplatePart part in parts)
        {
            switch (part)
            {
                case LiteralPart literal:
                    AppendLiteral(text, literal.Text);
                    break;
                case RawPart raw:
                    text.Append("{{{{raw}}}}").Append(raw.Text).Append("{{{{/raw}}}}");
                    break;
                case VariablePart variable:
                    text.Append("{{").Append(variable.Padding).Append(variable.Name).Append(variable.Padding).Append("}}");
                    break;
                case SectionPart section:
                    text.Append("{{").Append(section.Negated ? '^' : '#').Append(section.Padding).Append(section.Name).Append("}}");
                    Write(section.Body, text);
                    text.Append("{{/").Append(section.Name).Append(section.Padding).Append("}}");
                    break;
            }
        }
    }

    // A literal '{' followed by '{' (its own or the next part's) would open a tag, so a '{' is
    // written only where the next char is known: inside the literal and not before another '{'.
    private static void AppendLiteral(StringBuilder text, string literal)
    {
        for (int i = 0; i < literal.Length; i++)
        {
            bool opensTag = literal[i] == '{' && (i + 1 == literal.Length || literal[i + 1] == '{');
            text.Append(opensTag ? '_' : literal[i]);
        }
    }

    /// <summary>What the naive model says the tree renders to.</summary>
    public static string Expected(TemplatePart[] parts, TemplateContext context)
    {
        var text = new StringBuilder();
        foreach (TemplatePart part in parts)
        {
            switch (part)
            {
                case LiteralPart literal:
                    var written = new StringBuilder();
                    AppendLiteral(written, literal.Text);
                    text.Append(written);
                    break;
                case RawPart raw:
                    text.Append(raw.Text);
                    break;
                case VariablePart variable:
                    text.Append(ExpectedVariable(variable.Name, context));
                    break;
                case SectionPart section:
                    if (ExpectedCondition(section.Name, context) != section.Negated)
                    {
                        text.Append(Expected(section.Body, context));
                    }

                    break;
            }
        }

        return text.ToString();
    }

    private static string ExpectedVariable(string name, TemplateContext context) => name switch
    {
        "value" => NumberText(context.Value),
        "threshold" => NumberText(context.Threshold),
        "warn_threshold" => context.WarningThreshold is { } warning ? NumberText(warning) : string.Empty,
        "state" => StateText(context.State),
        "previous_state" => StateText(context.PreviousState),
        "monitor.name" => context.MonitorName,
        "monitor.id" => context.MonitorId,
        "group" => context.GroupKey,
        "last_triggered_at" => DateTimeOffset.FromUnixTimeMilliseconds(context.TimeMs).ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture),
        "last_triggered_at_epoch" => context.TimeMs.ToString(CultureInfo.InvariantCulture),
        _ => context.GroupTags.FirstOrDefault(t => t.StartsWith(name[..^".name".Length] + ":", StringComparison.Ordinal)) is { } tag
            ? tag[(tag.IndexOf(':', StringComparison.Ordinal) + 1)..]
            : string.Empty,
    };

    private static string NumberText(double value) =>
        double.IsNaN(value) ? string.Empty : value == 0 ? "0" : value.ToString("G15", CultureInfo.InvariantCulture);

    private static string StateText(AlertState state) => state switch
    {
        AlertState.Ok => "OK",
        AlertState.Warn => "WARN",
        AlertState.Alert => "ALERT",
        _ => "NO_DATA",
    };

    // Transitions as a table of (from, to) pairs, independent of the engine's switch.
    private static bool ExpectedCondition(string name, TemplateContext context)
    {
        (AlertState from, AlertState to) = (context.PreviousState, context.State);
        AlertState[] all = [AlertState.Ok, AlertState.Warn, AlertState.Alert, AlertState.NoData];
        IEnumerable<(AlertState From, AlertState To)> pairs = name switch
        {
            "is_alert" => all.Select(f => (f, AlertState.Alert)),
            "is_warning" => all.Select(f => (f, AlertState.Warn)),
            "is_no_data" => all.Select(f => (f, AlertState.NoData)),
            "is_recovery" => [(AlertState.Alert, AlertState.Ok), (AlertState.Warn, AlertState.Ok), (AlertState.NoData, AlertState.Ok)],
            "is_alert_recovery" => [(AlertState.Alert, AlertState.Ok)],
            "is_warning_recovery" => [(AlertState.Warn, AlertState.Ok)],
            "is_alert_to_warning" => [(AlertState.Alert, AlertState.Warn)],
            "is_no_data_recovery" => [(AlertState.NoData, AlertState.Ok), (AlertState.NoData, AlertState.Warn), (AlertState.NoData, AlertState.Alert)],
            "is_renotify" => context.IsRenotify ? [(from, to)] : [],
            _ => context.IsMuted ? [(from, to)] : [],
        };
        return pairs.Contains((from, to));
    }

    /// <summary>A context as text, for failure messages.</summary>
    public static string Describe(TemplateContext context) =>
        $"state={context.State} previous={context.PreviousState} value={context.Value.ToString("R", CultureInfo.InvariantCulture)} " +
        $"threshold={context.Threshold.ToString("R", CultureInfo.InvariantCulture)} warning={context.WarningThreshold?.ToString("R", CultureInfo.InvariantCulture) ?? "none"} " +
        $"renotify={context.IsRenotify} muted={context.IsMuted} time={context.TimeMs} tags=[{string.Join(',', context.GroupTags)}] name=\"{context.MonitorName}\"";
}
