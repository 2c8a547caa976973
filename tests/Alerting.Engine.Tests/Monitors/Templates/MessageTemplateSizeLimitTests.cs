using System.Globalization;
using System.Text;
using Alerting.Engine.Monitors.Templates;
using Alerting.Engine.State;

namespace Alerting.Engine.Tests.Monitors.Templates;

public sealed class MessageTemplateSizeLimitTests
{
    private static TemplateContext Context(string groupKey, string[] tags) => new()
    {
        MonitorId = "mon-1",
        MonitorName = "CPU high",
        GroupKey = groupKey,
        GroupTags = tags,
        Value = 92.5,
        Threshold = 90,
        State = AlertState.Alert,
        PreviousState = AlertState.Ok,
        TimeMs = 1_714_566_896_789,
    };

    private static string Uncut(MessageTemplate template, in TemplateContext context)
    {
        var builder = new StringBuilder();
        template.RenderTo(context, builder);
        return builder.ToString();
    }

    /// <summary>The model: the longest prefix of whole code points whose bytes, with the marker, fit.</summary>
    private static string Expected(string uncut, int maxBytes)
    {
        int total = Encoding.UTF8.GetByteCount(uncut);
        if (total <= maxBytes)
        {
            return uncut;
        }

        var runes = uncut.EnumerateRunes().ToList();
        int markerBytes = Encoding.UTF8.GetByteCount(TemplateLimits.TruncationMarkerPrefix + total.ToString(CultureInfo.InvariantCulture) + " bytes]");
        var kept = new StringBuilder();
        int keptBytes = 0;
        foreach (var rune in runes)
        {
            if (keptBytes + rune.Utf8SequenceLength > maxBytes - markerBytes)
            {
                break;
            }

            kept.Append(rune.ToString());
            keptBytes += rune.Utf8SequenceLength;
        }

        return kept + TemplateLimits.TruncationMarkerPrefix + (total - keptBytes).ToString(CultureInfo.InvariantCulture) + " bytes]";
    }

    [Fact]
    public void The_issue_repro_a_group_repeated_1111_times_over_16_long_tags_is_cut_to_the_byte_limit_with_a_marker()
    {
        var tags = Enumerable.Range(0, 16).Select(i => $"tag{i:D2}:" + new string((char)('a' + i), 190)).ToArray();
        var template = MessageTemplate.Parse(string.Concat(Enumerable.Repeat("{{group}}", 1_111)));
        var context = Context(string.Join(',', tags), tags);
        string uncut = Uncut(template, context);

        string message = template.Render(context);

        int uncutBytes = Encoding.UTF8.GetByteCount(uncut);
        Assert.True(uncutBytes > 3_000_000, $"the repro renders {uncutBytes} bytes uncut");
        int bytes = Encoding.UTF8.GetByteCount(message);
        Assert.InRange(bytes, TemplateLimits.MaxRenderedBytes - 40, TemplateLimits.MaxRenderedBytes);
        int markerAt = message.LastIndexOf(TemplateLimits.TruncationMarkerPrefix, StringComparison.Ordinal);
        Assert.True(markerAt > 0, "the cut message ends with the marker");
        string kept = message[..markerAt];
        Assert.StartsWith(kept, uncut, StringComparison.Ordinal);
        Assert.Equal($"{TemplateLimits.TruncationMarkerPrefix}{uncutBytes - Encoding.UTF8.GetByteCount(kept)} bytes]", message[markerAt..]);
    }

    [Fact]
    public void A_message_of_exactly_the_limit_is_not_cut_and_one_byte_more_is()
    {
        var template = MessageTemplate.Parse("{{group}}");
        string atLimit = new('x', TemplateLimits.MaxRenderedBytes);

        Assert.Equal(atLimit, template.Render(Context(atLimit, [])));
        string over = template.Render(Context(atLimit + "y", []));
        Assert.EndsWith($"{TemplateLimits.TruncationMarkerPrefix}{TemplateLimits.MaxRenderedBytes + 1 - over.IndexOf('\u2026', StringComparison.Ordinal)} bytes]", over, StringComparison.Ordinal);
        Assert.True(Encoding.UTF8.GetByteCount(over) <= TemplateLimits.MaxRenderedBytes);
    }

    [Fact]
    public void Cuts_land_on_code_point_boundaries_whatever_the_mix_of_one_to_four_byte_characters()
    {
        string[] alphabet = ["a", "é", "€", "😀", "z", "中"];
        var template = MessageTemplate.Parse("{{group}}");
        for (int seed = 1; seed <= 200; seed++)
        {
            // Each case is its own seed: a failure names it, and running that seed alone replays it.
            var random = new Random(seed);
            int target = TemplateLimits.MaxRenderedBytes - 8 + random.Next(32);
            var group = new StringBuilder();
            while (Encoding.UTF8.GetByteCount(group.ToString()) < target)
            {
                group.Append(alphabet[random.Next(alphabet.Length)]);
            }

            string uncut = group.ToString();
            string message = template.Render(Context(uncut, []));

            Assert.True(Expected(uncut, TemplateLimits.MaxRenderedBytes) == message, $"seed {seed}: the cut differs from the model");
            Assert.True(Encoding.UTF8.GetByteCount(message) <= TemplateLimits.MaxRenderedBytes, $"seed {seed}: over the limit");
            Assert.True(message.EnumerateRunes().All(r => r != Rune.ReplacementChar), $"seed {seed}: a surrogate pair was split");
        }
    }

    [Fact]
    public void A_template_repeating_a_variable_past_twice_the_limit_is_cut_as_the_model_says()
    {
        // Past 2 × MaxRenderedBytes chars the renderer drops its tail as it goes; the marker still counts every byte.
        string[] alphabet = ["a", "é", "€", "😀", "中"];
        for (int seed = 1; seed <= 50; seed++)
        {
            var random = new Random(seed);
            var group = new StringBuilder();
            int length = 1 + random.Next(8_000);
            while (group.Length < length)
            {
                group.Append(alphabet[random.Next(alphabet.Length)]);
            }

            var template = MessageTemplate.Parse(string.Concat(Enumerable.Repeat("<{{group}}|{{k.name}}|{{value}}>", 1 + random.Next(20))));
            var context = Context(group.ToString(), ["k:" + group]);

            string message = template.Render(context);

            Assert.True(Expected(Uncut(template, context), TemplateLimits.MaxRenderedBytes) == message, $"seed {seed}: the cut differs from the model");
        }
    }
}
