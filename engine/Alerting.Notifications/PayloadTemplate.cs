using System.Globalization;
using System.Text;
using System.Text.Json;
using Alerting.Engine.State;
using Fluid;
using Fluid.Values;

namespace Alerting.Notifications;

/// <summary>
/// A receiver's own request body, written as a Liquid template (rendered with Fluid): the webhook
/// body, the Slack message, or the Opsgenie create request. It is parsed once, where the
/// configuration enters (<see cref="Parse"/> refuses a bad one with the line and column of the
/// error), and checked there by rendering a sample notification, whose output must be JSON. The
/// model each render sees is <see cref="Model"/>; insert a text with the <c>json</c> filter
/// (<c>{{ message | json }}</c>), which writes it as a quoted, escaped JSON string. A render is
/// bounded (<see cref="MaxSteps"/>); one whose output is not JSON, or that fails, is a
/// <see cref="PayloadTemplateException"/>, and the dispatcher records the delivery as rejected
/// (the same template would fail again) instead of sending a broken body.
/// </summary>
public sealed class PayloadTemplate
{
    /// <summary>Most template steps one render may take (a loop cannot run away).</summary>
    public const int MaxSteps = 100_000;

    private static readonly FluidParser Parser = new();

    private static readonly TemplateOptions Options = new()
    {
        MaxSteps = MaxSteps,
        CultureInfo = CultureInfo.InvariantCulture,
    };

    private readonly IFluidTemplate _template;

    private PayloadTemplate(IFluidTemplate template, string source)
    {
        _template = template;
        Source = source;
    }

    public string Source { get; }

    /// <summary>
    /// The names a template sees. <c>monitor.id</c>, <c>monitor.name</c>, <c>monitor.tags</c> (list of
    /// <c>key:value</c>); <c>group</c> (the group key, <c>*</c> for an ungrouped monitor);
    /// <c>state</c> and <c>previous_state</c> (<c>OK</c>, <c>WARN</c>, <c>ALERT</c>, <c>NO_DATA</c>);
    /// <c>action</c> (<c>trigger</c> or <c>resolve</c>); <c>severity</c> (<c>critical</c>,
    /// <c>warning</c>, <c>info</c>); <c>value</c> and <c>threshold</c> (the evaluated value and the
    /// threshold crossed, nil when none); <c>thresholds.critical</c>, <c>thresholds.warning</c> (the
    /// monitor's, nil when not set); <c>message</c> (the rendered monitor message); <c>link</c> (the
    /// group's status page view, nil without a status page address); <c>transition_id</c>;
    /// <c>key</c> (<c>monitorId/groupKey</c>, the deduplication key); <c>time</c> (ISO-8601 UTC);
    /// <c>reason</c>; <c>renotification</c> (true or false); <c>replaces</c> (ids of coalesced events).
    /// </summary>
    public static IReadOnlyList<string> Model { get; } =
    [
        "monitor.id", "monitor.name", "monitor.tags", "group", "state", "previous_state", "action", "severity", "value", "threshold",
        "thresholds.critical", "thresholds.warning", "message", "link", "transition_id", "key", "time", "reason", "renotification", "replaces",
    ];

    /// <summary>
    /// Parses <paramref name="source"/> and renders a sample notification with it; throws
    /// <see cref="ArgumentException"/> with the position of a syntax error, or the render's problem.
    /// </summary>
    public static PayloadTemplate Parse(string source) => Parse(source, json: true);

    /// <summary>
    /// Like <see cref="Parse"/> for a template whose output is text, not JSON (an email's subject or body):
    /// rendered with <see cref="RenderText"/>, and checked by rendering the sample without the JSON check.
    /// </summary>
    public static PayloadTemplate ParseText(string source) => Parse(source, json: false);

    private static PayloadTemplate Parse(string source, bool json)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (!Parser.TryParse(source, out var template, out var error))
        {
            throw new ArgumentException($"the template does not parse: {error}", nameof(source));
        }

        var parsed = new PayloadTemplate(template, source);
        var sample = new Notification(
            new TransitionEvent("sample-monitor", "host:a", 1, AlertState.Ok, AlertState.Alert, 97.5, 90, 1_767_225_600_000, 1, TransitionReason.ThresholdCrossed, GroupFlags.None, true, false),
            "Sample monitor", ["team:sample"], "Sample message with \"quotes\" and a\nnew line")
        {
            Critical = 90,
            Warning = 80,
        };
        try
        {
            const string SampleLink = "http://status.example/status/group?monitor=sample-monitor&group=host%3Aa";
            if (json)
            {
                _ = parsed.Render(sample, NotificationAction.Trigger, SampleLink);
            }
            else
            {
                _ = parsed.RenderText(sample, NotificationAction.Trigger, SampleLink);
            }
        }
        catch (PayloadTemplateException e)
        {
            throw new ArgumentException($"the template renders a sample notification into something unusable: {e.Message}", nameof(source), e);
        }

        return parsed;
    }

    /// <summary>The body for one notification, UTF-8 JSON; <see cref="PayloadTemplateException"/> when it is not JSON or the render fails.</summary>
    public byte[] Render(Notification notification, NotificationAction action, string? link)
    {
        var body = Encoding.UTF8.GetBytes(RenderText(notification, action, link));
        try
        {
            using var json = JsonDocument.Parse(body);
        }
        catch (JsonException invalid)
        {
            throw new PayloadTemplateException($"the rendered body is not JSON ({invalid.Message})", invalid);
        }

        return body;
    }

    /// <summary>The template's output for one notification as text (no JSON check); <see cref="PayloadTemplateException"/> when the render fails.</summary>
    public string RenderText(Notification notification, NotificationAction action, string? link)
    {
        ArgumentNullException.ThrowIfNull(notification);
        var context = new TemplateContext(Options);
        var e = notification.Event;
        context.SetValue("monitor", new Dictionary<string, object?>
        {
            ["id"] = e.MonitorId,
            ["name"] = notification.DisplayName,
            ["tags"] = notification.MonitorTags.ToArray(),
        });
        context.SetValue("group", e.GroupKey);
        context.SetValue("state", NotificationPolicy.NameOf(e.Next));
        context.SetValue("previous_state", NotificationPolicy.NameOf(e.Previous));
        context.SetValue("action", action == NotificationAction.Resolve ? "resolve" : "trigger");
        context.SetValue("severity", NotificationPolicy.SeverityOf(action == NotificationAction.Resolve ? e.Previous : e.Next));
        context.SetValue("value", Number(e.Value));
        context.SetValue("threshold", Number(e.Threshold));
        context.SetValue("thresholds", new Dictionary<string, object?>
        {
            ["critical"] = notification.Critical is { } c ? Number(c) : NilValue.Instance,
            ["warning"] = notification.Warning is { } w ? Number(w) : NilValue.Instance,
        });
        context.SetValue("message", notification.Message);
        context.SetValue("link", link is null ? NilValue.Instance : new StringValue(link));
        context.SetValue("transition_id", notification.Id.ToString());
        context.SetValue("key", notification.Id.Key);
        context.SetValue("time", JsonPayload.Time(e.TimeMs));
        context.SetValue("reason", e.ReasonText);
        context.SetValue("renotification", e.IsRenotification);
        context.SetValue("replaces", notification.Replaces.Select(r => r.ToString()).ToArray());
        string text;
        try
        {
            text = _template.Render(context, NullEncoder.Default);
        }
        catch (Exception failure) when (failure is not OutOfMemoryException)
        {
            throw new PayloadTemplateException($"the template failed to render: {failure.Message}", failure);
        }

        return text;
    }

    /// <summary>Fluid's numbers are decimals; a finite value beyond their range is given as its text.</summary>
    private static FluidValue Number(double value) =>
        !double.IsFinite(value) ? NilValue.Instance
        : Math.Abs(value) < 7.9e27 ? NumberValue.Create((decimal)value)
        : new StringValue(value.ToString("R", CultureInfo.InvariantCulture));
}

/// <summary>A payload template's render failed or gave a body that is not JSON.</summary>
public sealed class PayloadTemplateException(string message, Exception inner) : Exception(message, inner);
