using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;
using Alerting.Engine.State;

namespace Alerting.Engine.Monitors.Templates;

/// <summary>
/// A compiled monitor message: parsed once when the monitor is defined, rendered for every
/// notification. Rendering is a pure function of the template and the <see cref="TemplateContext"/>
/// (invariant culture, the event time rather than the clock), so every replica renders the same text.
/// </summary>
/// <remarks>
/// <para>Variables: <c>{{value}}</c>, <c>{{threshold}}</c>, <c>{{warn_threshold}}</c>, <c>{{state}}</c>
/// and <c>{{previous_state}}</c> (<c>ALERT</c>, <c>WARN</c>, <c>OK</c>, <c>NO_DATA</c>),
/// <c>{{monitor.name}}</c>, <c>{{monitor.id}}</c>, <c>{{group}}</c> (the group key),
/// <c>{{last_triggered_at}}</c> (the event time, ISO-8601 UTC with milliseconds, e.g.
/// <c>2024-05-01T12:34:56.789Z</c>), <c>{{last_triggered_at_epoch}}</c> (the same, unix ms), and
/// <c>{{&lt;tag_key&gt;.name}}</c>, the value of the group's tag <c>tag_key</c> (Datadog's
/// <c>{{host.name}}</c>). A tag the group lacks renders empty, and so does a group tag named
/// <c>monitor</c>, which <c>{{monitor.name}}</c> shadows.</para>
/// <para>Numbers render with invariant culture and up to 15 significant digits
/// (<see cref="NumberFormat"/>): enough to show any threshold as typed, few enough to hide binary
/// noise such as 0.30000000000000004. A NaN value or threshold, or no warning threshold, renders empty.</para>
/// <para>Sections: <c>{{#c}}…{{/c}}</c> renders its body when <c>c</c> holds, <c>{{^c}}…{{/c}}</c>
/// when it does not; they nest, up to <see cref="TemplateLimits.MaxSectionDepth"/>. Conditions:
/// <c>is_alert</c>, <c>is_warning</c>, <c>is_no_data</c>, <c>is_recovery</c> (OK from ALERT, WARN or NO DATA, as in Datadog),
/// <c>is_alert_recovery</c>, <c>is_warning_recovery</c>, <c>is_alert_to_warning</c>,
/// <c>is_no_data_recovery</c>, <c>is_renotify</c>, <c>is_muted</c>, <c>is_unknown</c> (a check monitor in NO DATA);
/// with arguments, <c>is_match "subject" "pattern"…</c> (substring, <c>*</c> any run), <c>is_exact_match "subject" "value"…</c>
/// (numbers by value) and <c>is_priority "P1"</c>.</para>
/// <para>Functions: <c>{{eval "value*100"}}</c> (<see cref="TemplateExpression"/>: arithmetic over the numeric
/// variables, bounded at parse time) and <c>{{local_time "last_triggered_at" "Europe/Paris"}}</c> (the event time
/// in a time zone, <see cref="LocalTimeFormat"/>); also the variables <c>{{comparator}}</c> and <c>{{ok_threshold}}</c>.
/// docs/notifications.md is the reference.</para>
/// <para>Literal braces: a <c>{</c> or <c>}</c> that does not start a tag is text; anything, <c>{{</c>
/// included, between <c>{{{{raw}}}}</c> and <c>{{{{/raw}}}}</c> is text.</para>
/// </remarks>
public sealed class MessageTemplate
{
    /// <summary>Format of numbers: general, 15 significant digits (all a double holds exactly).</summary>
    public const string NumberFormat = "G15";

    /// <summary>What separates a renotification's escalation message from the message.</summary>
    public const string EscalationSeparator = "\n\n";

    /// <summary>Format of <c>{{last_triggered_at}}</c>.</summary>
    public const string TimeFormat = "yyyy-MM-dd'T'HH:mm:ss.fff'Z'";

    /// <summary>Format of <c>{{local_time …}}</c>: ISO-8601 with the zone's offset at that instant, e.g. <c>2024-05-01T14:34:56.789+02:00</c>.</summary>
    public const string LocalTimeFormat = "yyyy-MM-dd'T'HH:mm:ss.fffzzz";

    // Builders grown past this are dropped after use rather than kept per thread. A bounded render
    // holds up to 2 × MaxRenderedBytes chars plus one node before it drops its tail.
    private const int MaxCachedBuilderCapacity = 4 * TemplateLimits.MaxRenderedBytes;

    // Longest number or time text: "-1.23456789012345E-308" and "2024-05-01T12:34:56.789Z" both fit.
    private const int MaxFormattedLength = 32;

    [ThreadStatic]
    private static StringBuilder? t_builder;

    // Most monitors have no message: they share one empty template (M6: 40 B per monitor).
    private static readonly MessageTemplate Empty = new(string.Empty, [], []);

    private readonly TemplateNode[] _nodes;

    private MessageTemplate(string text, TemplateNode[] nodes, string[] tagKeys)
    {
        Text = text;
        _nodes = nodes;
        TagKeys = tagKeys;
    }

    /// <summary>The template as written.</summary>
    public string Text { get; }

    /// <summary>
    /// The tag keys the template reads through <c>{{&lt;key&gt;.name}}</c>, in order of first use:
    /// what a caller checks against the monitor's group-by to warn about tags that will always render empty.
    /// </summary>
    public IReadOnlyList<string> TagKeys { get; }

    /// <summary>Compiles <paramref name="text"/>; throws <see cref="TemplateParseException"/> with the position of the first error.</summary>
    public static MessageTemplate Parse(string text) =>
        TryParse(text, out MessageTemplate? template, out TemplateParseError? error)
            ? template
            : throw new TemplateParseException(error);

    /// <summary>Compiles <paramref name="text"/>, or says where and why it is not a template. Never throws for any non-null text.</summary>
    public static bool TryParse(
        string text,
        [NotNullWhen(true)] out MessageTemplate? template,
        [NotNullWhen(false)] out TemplateParseError? error)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length == 0)
        {
            template = Empty;
            error = null;
            return true;
        }

        if (TemplateParser.TryParse(text, out TemplateNode[] nodes, out string[] tagKeys, out error))
        {
            template = new MessageTemplate(text, nodes, tagKeys);
            return true;
        }

        template = null;
        return false;
    }

    /// <summary>
    /// Renders the message of one notification, at most <see cref="TemplateLimits.MaxRenderedBytes"/>
    /// bytes of UTF-8: a longer one is cut on a character boundary and ends with the truncation marker.
    /// </summary>
    public string Render(in TemplateContext context) => RenderBounded(null, this, context);

    /// <summary>
    /// Renders a renotification of a monitor with an escalation message: <paramref name="escalation"/>'s text,
    /// a blank line, then <paramref name="message"/>'s, bounded together as <see cref="Render"/> bounds one message.
    /// </summary>
    public static string RenderEscalation(MessageTemplate escalation, MessageTemplate message, in TemplateContext context)
    {
        ArgumentNullException.ThrowIfNull(escalation);
        ArgumentNullException.ThrowIfNull(message);
        return RenderBounded(escalation, message, context);
    }

    private static string RenderBounded(MessageTemplate? first, MessageTemplate template, in TemplateContext context)
    {
        StringBuilder builder = t_builder ?? new StringBuilder(template.Text.Length + 64);
        t_builder = null;
        builder.Clear();
        long cutBytes = 0;
        if (first is not null)
        {
            cutBytes += first.RenderTo(context, builder, keepChars: TemplateLimits.MaxRenderedBytes);
            builder.Append(EscalationSeparator);
        }

        cutBytes += template.RenderTo(context, builder, keepChars: TemplateLimits.MaxRenderedBytes);
        if (builder.Length > TemplateLimits.MaxRenderedBytes)
        {
            cutBytes += CutTail(builder, TemplateLimits.MaxRenderedBytes);
        }

        string message = Bounded(builder, cutBytes, TemplateLimits.MaxRenderedBytes);
        if (builder.Capacity <= MaxCachedBuilderCapacity)
        {
            t_builder = builder;
        }

        Invariant.Check(Encoding.UTF8.GetByteCount(message) <= TemplateLimits.MaxRenderedBytes, "a rendered message fits TemplateLimits.MaxRenderedBytes");
        return message;
    }

    /// <summary>
    /// Appends the message of one notification to <paramref name="output"/>, uncut (the caller owns the
    /// builder and its size; <see cref="Render"/> is the bounded form); allocates nothing once the builder has room.
    /// </summary>
    public void RenderTo(in TemplateContext context, StringBuilder output)
    {
        ArgumentNullException.ThrowIfNull(output);
        long cutBytes = RenderTo(context, output, keepChars: int.MaxValue / 2);
        Invariant.Check(cutBytes == 0, "an unbounded render cuts nothing");
    }

    /// <inheritdoc/>
    public override string ToString() => Text;

    /// <summary>
    /// The message of <paramref name="rendered"/> plus <paramref name="cutBytes"/> bytes already cut from its
    /// end, if it fits <paramref name="maxBytes"/> bytes of UTF-8; otherwise its longest prefix (never
    /// splitting a surrogate pair) that fits together with the marker naming all the bytes cut.
    /// </summary>
    internal static string Bounded(StringBuilder rendered, long cutBytes, int maxBytes)
    {
        string text = rendered.ToString();

        // Every char is at most three bytes (a surrogate pair is four for two chars).
        if (cutBytes == 0 && text.Length <= maxBytes / 3)
        {
            return text;
        }

        long totalBytes = cutBytes + Encoding.UTF8.GetByteCount(text);
        if (totalBytes <= maxBytes)
        {
            return text;
        }

        // The marker is sized for the largest count it could name, so the prefix chosen under it always fits.
        int budget = maxBytes - Encoding.UTF8.GetByteCount(Marker(totalBytes));
        Invariant.Check(budget > 0, "the truncation marker leaves room for text");
        ReadOnlySpan<char> rest = text;
        int keptBytes = 0;
        while (!rest.IsEmpty)
        {
            // A lone surrogate decodes as U+FFFD, three bytes, as Encoding.UTF8 counts it.
            Rune.DecodeFromUtf16(rest, out Rune rune, out int chars);
            if (keptBytes + rune.Utf8SequenceLength > budget)
            {
                break;
            }

            keptBytes += rune.Utf8SequenceLength;
            rest = rest[chars..];
        }

        return string.Concat(text.AsSpan(0, text.Length - rest.Length), Marker(totalBytes - keptBytes));
    }

    private static string Marker(long cutBytes) =>
        string.Create(CultureInfo.InvariantCulture, $"{TemplateLimits.TruncationMarkerPrefix}{cutBytes} bytes]");

    /// <summary>
    /// Renders into <paramref name="output"/> until it holds <paramref name="keepChars"/> chars; after that the
    /// long parts (literals, names, the group, tags) are only counted in UTF-8 bytes, and the short ones
    /// appended and dropped whenever the builder passes twice <paramref name="keepChars"/>. Returns the bytes
    /// dropped or counted, which are not in <paramref name="output"/>. A message is cut at most at
    /// <see cref="TemplateLimits.MaxRenderedBytes"/> bytes, which is at most as many chars, so the
    /// dropped tail never holds text the cut message keeps; the bound keeps a multiplying template
    /// from building megabytes per event.
    /// </summary>
    private long RenderTo(in TemplateContext context, StringBuilder output, int keepChars)
    {
        long cutBytes = 0;
        TemplateNode[] nodes = _nodes;
        int i = 0;
        while (i < nodes.Length)
        {
            // Once keepChars are written, whatever follows is dropped: the long parts are only counted.
            bool counting = output.Length >= keepChars;
            ref readonly TemplateNode node = ref nodes[i];
            switch (node.Kind)
            {
                case TemplateNodeKind.Literal when counting:
                    cutBytes += Encoding.UTF8.GetByteCount(Text.AsSpan(node.Start, node.Length));
                    i++;
                    break;
                case TemplateNodeKind.Literal:
                    output.Append(Text, node.Start, node.Length);
                    i++;
                    break;
                case TemplateNodeKind.Variable when counting && StringOf(node.Variable, context) is { } text:
                    cutBytes += Encoding.UTF8.GetByteCount(text);
                    i++;
                    break;
                case TemplateNodeKind.Variable:
                    AppendVariable(output, node.Variable, context);
                    i++;
                    break;
                case TemplateNodeKind.Tag when counting:
                    cutBytes += Encoding.UTF8.GetByteCount(TagValue(node.TagKey!, context.GroupTags));
                    i++;
                    break;
                case TemplateNodeKind.Tag:
                    output.Append(TagValue(node.TagKey!, context.GroupTags));
                    i++;
                    break;
                case TemplateNodeKind.Eval:
                    AppendNumber(output, Finite(node.Expression!.Evaluate(context)));
                    i++;
                    break;
                case TemplateNodeKind.LocalTime:
                    AppendLocalTime(output, context.TimeMs, node.Zone!);
                    i++;
                    break;
                default:
                    Invariant.Check(node.Kind == TemplateNodeKind.Section && node.End > i, "a section jumps forward");
                    i = Holds(node, context) != node.Negated ? i + 1 : node.End;
                    break;
            }

            if (output.Length > 2 * keepChars)
            {
                cutBytes += CutTail(output, keepChars);
            }
        }

        return cutBytes;
    }

    /// <summary>Drops all but the first <paramref name="keepChars"/> chars (one fewer rather than split a surrogate pair); returns the UTF-8 bytes dropped.</summary>
    private static int CutTail(StringBuilder output, int keepChars)
    {
        int start = char.IsHighSurrogate(output[keepChars - 1]) ? keepChars - 1 : keepChars;
        int length = output.Length - start;
        char[] tail = System.Buffers.ArrayPool<char>.Shared.Rent(length);
        output.CopyTo(start, tail, 0, length);
        int bytes = Encoding.UTF8.GetByteCount(tail, 0, length);
        System.Buffers.ArrayPool<char>.Shared.Return(tail);
        output.Length = start;
        return bytes;
    }

    private static bool Holds(in TemplateNode node, in TemplateContext context)
    {
        AlertState state = context.State;
        AlertState previous = context.PreviousState;
        return node.Section switch
        {
            TemplateSection.IsAlert => state == AlertState.Alert,
            TemplateSection.IsWarning => state == AlertState.Warn,
            TemplateSection.IsNoData => state == AlertState.NoData,
            TemplateSection.IsRecovery => state == AlertState.Ok && previous is AlertState.Alert or AlertState.Warn or AlertState.NoData,
            TemplateSection.IsAlertRecovery => state == AlertState.Ok && previous == AlertState.Alert,
            TemplateSection.IsWarningRecovery => state == AlertState.Ok && previous == AlertState.Warn,
            TemplateSection.IsAlertToWarning => state == AlertState.Warn && previous == AlertState.Alert,
            TemplateSection.IsNoDataRecovery => state != AlertState.NoData && previous == AlertState.NoData,
            TemplateSection.IsRenotify => context.IsRenotify,
            TemplateSection.IsMuted => context.IsMuted,
            TemplateSection.IsMatch or TemplateSection.IsExactMatch => MatchHolds(node.Match!, context),
            TemplateSection.IsPriority => context.Priority == node.Priority,
            TemplateSection.IsUnknown => context.IsCheck && state == AlertState.NoData,
            _ => throw new InvariantViolationException($"template section {node.Section} has no condition"),
        };
    }

    private static bool MatchHolds(TemplateMatch match, in TemplateContext context)
    {
        Span<char> buffer = stackalloc char[MaxFormattedLength];
        TemplateNode subject = match.Subject;
        ReadOnlySpan<char> text = subject.Kind switch
        {
            TemplateNodeKind.Tag => TagValue(subject.TagKey!, context.GroupTags),
            TemplateNodeKind.Eval => FormatNumber(Finite(subject.Expression!.Evaluate(context)), buffer),
            _ => FormatVariable(subject.Variable, context, buffer),
        };
        return match.Holds(text);
    }

    /// <summary>The value of a numeric variable for <c>{{eval}}</c>: NaN when it has none.</summary>
    internal static double NumberOf(TemplateVariable variable, in TemplateContext context) => variable switch
    {
        TemplateVariable.Value => context.Value,
        TemplateVariable.Threshold => context.Threshold,
        TemplateVariable.WarnThreshold => context.WarningThreshold ?? double.NaN,
        TemplateVariable.OkThreshold => context.OkThreshold ?? double.NaN,
        TemplateVariable.LastTriggeredAtEpoch => context.TimeMs,
        _ => throw new InvariantViolationException($"template variable {variable} is not numeric"),
    };

    private static void AppendVariable(StringBuilder output, TemplateVariable variable, in TemplateContext context)
    {
        Span<char> buffer = stackalloc char[MaxFormattedLength];
        output.Append(FormatVariable(variable, context, buffer));
    }

    /// <summary>The text of a variable: a string of the context, or a value formatted into <paramref name="buffer"/>.</summary>
    private static ReadOnlySpan<char> FormatVariable(TemplateVariable variable, in TemplateContext context, Span<char> buffer)
    {
        switch (variable)
        {
            case TemplateVariable.Value:
                return FormatNumber(context.Value, buffer);
            case TemplateVariable.Threshold:
                return FormatNumber(context.Threshold, buffer);
            case TemplateVariable.WarnThreshold:
                return FormatNumber(context.WarningThreshold ?? double.NaN, buffer);
            case TemplateVariable.OkThreshold:
                return FormatNumber(context.OkThreshold ?? double.NaN, buffer);
            case TemplateVariable.Comparator:
                return context.Comparator;
            case TemplateVariable.State:
                return TemplateNames.Of(context.State);
            case TemplateVariable.PreviousState:
                return TemplateNames.Of(context.PreviousState);
            case TemplateVariable.MonitorName:
                return context.MonitorName;
            case TemplateVariable.MonitorId:
                return context.MonitorId;
            case TemplateVariable.Group:
                return context.GroupKey;
            case TemplateVariable.LastTriggeredAt:
                return FormatTime(context.TimeMs, buffer);
            case TemplateVariable.LastTriggeredAtEpoch:
                bool epochFits = context.TimeMs.TryFormat(buffer, out int epochLength, provider: CultureInfo.InvariantCulture);
                Invariant.Check(epochFits, "a long fits in MaxFormattedLength chars");
                return buffer[..epochLength];
            default:
                throw new InvariantViolationException($"template variable {variable} has no renderer");
        }
    }

    private static void AppendNumber(StringBuilder output, double value)
    {
        Span<char> text = stackalloc char[MaxFormattedLength];
        output.Append(FormatNumber(value, text));
    }

    /// <summary>An eval result as rendered: a division by zero or an overflow has no value, like a missing variable.</summary>
    private static double Finite(double value) => double.IsFinite(value) ? value : double.NaN;

    /// <summary>A number as <see cref="NumberFormat"/>; empty for NaN (no value).</summary>
    private static ReadOnlySpan<char> FormatNumber(double value, Span<char> buffer)
    {
        if (double.IsNaN(value))
        {
            return default;
        }

        // -0 (e.g. a negated zero change) reads as a sign error in a notification.
        value = value == 0 ? 0 : value;
        bool fits = value.TryFormat(buffer, out int length, NumberFormat, CultureInfo.InvariantCulture);
        Invariant.Check(fits, "a G15 double fits in MaxFormattedLength chars");
        return buffer[..length];
    }

    private static ReadOnlySpan<char> FormatTime(long timeMs, Span<char> buffer)
    {
        // Event times come from validated entries; one outside DateTime's range is a bug, and
        // FromUnixTimeMilliseconds throws ArgumentOutOfRangeException naming it.
        DateTime time = DateTimeOffset.FromUnixTimeMilliseconds(timeMs).UtcDateTime;
        bool fits = time.TryFormat(buffer, out int length, TimeFormat, CultureInfo.InvariantCulture);
        Invariant.Check(fits, "an ISO-8601 time fits in MaxFormattedLength chars");
        return buffer[..length];
    }

    private static void AppendLocalTime(StringBuilder output, long timeMs, TimeZoneInfo zone)
    {
        DateTimeOffset local = TimeZoneInfo.ConvertTime(DateTimeOffset.FromUnixTimeMilliseconds(timeMs), zone);
        Span<char> text = stackalloc char[MaxFormattedLength];
        bool fits = local.TryFormat(text, out int length, LocalTimeFormat, CultureInfo.InvariantCulture);
        Invariant.Check(fits, "a local ISO-8601 time fits in MaxFormattedLength chars");
        output.Append(text[..length]);
    }

    /// <summary>The variables that are strings of the context, of any length (the rest are short formatted values).</summary>
    private static string? StringOf(TemplateVariable variable, in TemplateContext context) => variable switch
    {
        TemplateVariable.MonitorName => context.MonitorName,
        TemplateVariable.MonitorId => context.MonitorId,
        TemplateVariable.Group => context.GroupKey,
        _ => null,
    };

    private static ReadOnlySpan<char> TagValue(string key, IReadOnlyList<string>? tags)
    {
        if (tags is null)
        {
            return default;
        }

        for (int t = 0; t < tags.Count; t++)
        {
            string tag = tags[t];
            if (tag.Length > key.Length && tag[key.Length] == ':' && tag.StartsWith(key, StringComparison.Ordinal))
            {
                return tag.AsSpan(key.Length + 1);
            }
        }

        return default;
    }
}
