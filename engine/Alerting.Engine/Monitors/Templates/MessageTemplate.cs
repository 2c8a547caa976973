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
/// <c>is_no_data_recovery</c>, <c>is_renotify</c>, <c>is_muted</c>.</para>
/// <para>Literal braces: a <c>{</c> or <c>}</c> that does not start a tag is text; anything, <c>{{</c>
/// included, between <c>{{{{raw}}}}</c> and <c>{{{{/raw}}}}</c> is text.</para>
/// </remarks>
public sealed class MessageTemplate
{
    /// <summary>Format of numbers: general, 15 significant digits (all a double holds exactly).</summary>
    public const string NumberFormat = "G15";

    /// <summary>Format of <c>{{last_triggered_at}}</c>.</summary>
    public const string TimeFormat = "yyyy-MM-dd'T'HH:mm:ss.fff'Z'";

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
    public string Render(in TemplateContext context)
    {
        StringBuilder builder = t_builder ?? new StringBuilder(Text.Length + 64);
        t_builder = null;
        builder.Clear();
        long cutBytes = RenderTo(context, builder, keepChars: TemplateLimits.MaxRenderedBytes);
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
                default:
                    Invariant.Check(node.Kind == TemplateNodeKind.Section && node.End > i, "a section jumps forward");
                    i = Holds(node.Section, context) != node.Negated ? i + 1 : node.End;
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

    private static bool Holds(TemplateSection section, in TemplateContext context)
    {
        AlertState state = context.State;
        AlertState previous = context.PreviousState;
        return section switch
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
            _ => throw new InvariantViolationException($"template section {section} has no condition"),
        };
    }

    private static void AppendVariable(StringBuilder output, TemplateVariable variable, in TemplateContext context)
    {
        switch (variable)
        {
            case TemplateVariable.Value:
                AppendNumber(output, context.Value);
                break;
            case TemplateVariable.Threshold:
                AppendNumber(output, context.Threshold);
                break;
            case TemplateVariable.WarnThreshold:
                AppendNumber(output, context.WarningThreshold ?? double.NaN);
                break;
            case TemplateVariable.State:
                output.Append(TemplateNames.Of(context.State));
                break;
            case TemplateVariable.PreviousState:
                output.Append(TemplateNames.Of(context.PreviousState));
                break;
            case TemplateVariable.MonitorName:
                output.Append(context.MonitorName);
                break;
            case TemplateVariable.MonitorId:
                output.Append(context.MonitorId);
                break;
            case TemplateVariable.Group:
                output.Append(context.GroupKey);
                break;
            case TemplateVariable.LastTriggeredAt:
                AppendTime(output, context.TimeMs);
                break;
            case TemplateVariable.LastTriggeredAtEpoch:
                Span<char> epoch = stackalloc char[MaxFormattedLength];
                bool epochFits = context.TimeMs.TryFormat(epoch, out int epochLength, provider: CultureInfo.InvariantCulture);
                Invariant.Check(epochFits, "a long fits in MaxFormattedLength chars");
                output.Append(epoch[..epochLength]);
                break;
            default:
                throw new InvariantViolationException($"template variable {variable} has no renderer");
        }
    }

    private static void AppendNumber(StringBuilder output, double value)
    {
        if (double.IsNaN(value))
        {
            return;
        }

        // -0 (e.g. a negated zero change) reads as a sign error in a notification.
        value = value == 0 ? 0 : value;
        Span<char> text = stackalloc char[MaxFormattedLength];
        bool fits = value.TryFormat(text, out int length, NumberFormat, CultureInfo.InvariantCulture);
        Invariant.Check(fits, "a G15 double fits in MaxFormattedLength chars");
        output.Append(text[..length]);
    }

    private static void AppendTime(StringBuilder output, long timeMs)
    {
        // Event times come from validated entries; one outside DateTime's range is a bug, and
        // FromUnixTimeMilliseconds throws ArgumentOutOfRangeException naming it.
        DateTime time = DateTimeOffset.FromUnixTimeMilliseconds(timeMs).UtcDateTime;
        Span<char> text = stackalloc char[MaxFormattedLength];
        bool fits = time.TryFormat(text, out int length, TimeFormat, CultureInfo.InvariantCulture);
        Invariant.Check(fits, "an ISO-8601 time fits in MaxFormattedLength chars");
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
