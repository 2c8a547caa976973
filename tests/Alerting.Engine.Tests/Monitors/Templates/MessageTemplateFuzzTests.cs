using System.Globalization;
using System.Text;
using Alerting.Engine.Monitors.Templates;
using Alerting.Engine.State;

namespace Alerting.Engine.Tests.Monitors.Templates;

/// <summary>
/// Feeds the parser random and mutated text. The run is a pure function of the seed, printed in
/// every failure; replay with the environment variable <c>ALERTING_TEMPLATE_FUZZ_SEED</c>.
/// </summary>
public sealed class MessageTemplateFuzzTests
{
    private const int Cases = 40_000;
    private const int DefaultSeed = 20_240_501;
    private const string SeedVariable = "ALERTING_TEMPLATE_FUZZ_SEED";

    // A thrown exception costs tens of microseconds, so the throwing Parse is checked on every 4th rejected case.
    private const int ThrowingParseEvery = 4;

    private static readonly string[] Corpus =
    [
        "{{#is_alert}}CPU on {{host.name}} is {{value}} > {{threshold}}{{/is_alert}}{{#is_recovery}}recovered{{/is_recovery}} @ops",
        "[{{state}} from {{previous_state}}] {{monitor.name}} ({{monitor.id}}) {{group}} at {{last_triggered_at}}",
        "{{^is_muted}}{{#is_warning}}warn {{warn_threshold}}{{/is_warning}}{{/is_muted}} {{{{raw}}}}{{x}}{{{{/raw}}}}",
        "{{ #is_renotify }}again{{/ is_renotify }} {{ kube.namespace.name }} {x} }} {",
        "{{#is_match \"host.name\" \"a*b\" 'c'}}m{{/is_match}}{{^is_exact_match (eval \"value*2\") \"3\"}}e{{/is_exact_match}}{{#is_priority \"P1\"}}p{{/is_priority}}",
        "{{eval \"round(value*100, 1) - 2^3 % (threshold + 1)\"}} {{local_time \"last_triggered_at\" \"Europe/Paris\"}} {{comparator}} {{ok_threshold}}{{#is_unknown}}u{{/is_unknown}}",
    ];

    private static readonly string[] Tokens =
    [
        "{{", "}}", "{", "}", "{{#", "{{^", "{{/", "#", "^", "/", "is_alert", "is_no_data", "value", "host.name", ".name", "monitor.",
        "{{{{raw}}}}", "{{{{/raw}}}}", "{{{", " ", "\t", "\n", "é", "\ud83d\ude00", "\ud800", "\0", "1", "-", "\"",
        "'", "(", ")", "eval", "(eval \"", "is_match", "*", "^", "%", "local_time", "\"UTC\"",
    ];

    private static readonly TemplateContext SampleContext = new()
    {
        MonitorId = "m",
        MonitorName = "n",
        GroupKey = "host:a",
        GroupTags = ["host:a", "kube.namespace:ns"],
        Value = 1.5,
        Threshold = double.NaN,
        State = AlertState.Alert,
        PreviousState = AlertState.Ok,
        TimeMs = 0,
    };

    [Fact]
    public void Random_and_mutated_text_never_throws_and_every_rejection_is_positioned()
    {
        int seed = int.TryParse(Environment.GetEnvironmentVariable(SeedVariable), CultureInfo.InvariantCulture, out int replay)
            ? replay
            : DefaultSeed;
        var random = new Random(seed);
        int parsed = 0;
        for (int i = 0; i < Cases; i++)
        {
            string text = NextInput(random);
            try
            {
                parsed += Check(text, checkThrowingParse: i % ThrowingParseEvery == 0) ? 1 : 0;
            }
            catch (Exception ex)
            {
                throw new InvalidOperationException($"fuzz seed {seed} ({SeedVariable}): case {i} failed on input {Escape(text)}", ex);
            }
        }

        // Mutations must reach the accepting path too, or the rendering check is vacuous.
        Assert.True(parsed > Cases / 100, $"fuzz seed {seed}: only {parsed} of {Cases} inputs parsed");
    }

    // The properties every input must satisfy; returns whether it parsed.
    private static bool Check(string text, bool checkThrowingParse)
    {
        if (MessageTemplate.TryParse(text, out MessageTemplate? template, out TemplateParseError? error))
        {
            template.Render(SampleContext);
            return true;
        }

        Assert.InRange(error.Position, 0, Math.Min(text.Length, TemplateLimits.MaxTemplateLength));
        Assert.Contains($" at column {error.Column}", error.Message, StringComparison.Ordinal);
        if (checkThrowingParse)
        {
            Assert.Equal(error, Assert.Throws<TemplateParseException>(() => MessageTemplate.Parse(text)).Error);
        }

        return false;
    }

    private static string NextInput(Random random) => random.Next(100) switch
    {
        < 60 => Mutate(random, Corpus[random.Next(Corpus.Length)]),
        < 80 => TokenSoup(random),
        < 90 => RandomChars(random, random.Next(60), unicode: false),
        < 99 => RandomChars(random, random.Next(40), unicode: true),
        _ => Corpus[random.Next(Corpus.Length)] + new string('x', TemplateLimits.MaxTemplateLength - 130 + random.Next(100)),
    };

    private static string Mutate(Random random, string text)
    {
        var chars = new StringBuilder(text);
        int mutations = 1 + random.Next(3);
        for (int m = 0; m < mutations; m++)
        {
            int at = random.Next(chars.Length + 1);
            switch (random.Next(5))
            {
                case 0:
                    chars.Insert(at, Tokens[random.Next(Tokens.Length)]);
                    break;
                case 1 when at < chars.Length:
                    chars.Remove(at, 1);
                    break;
                case 2 when at < chars.Length:
                    chars[at] = "{}#^/ ._a"[random.Next(9)];
                    break;
                case 3:
                    chars.Length = at;
                    break;
                default:
                    string self = chars.ToString();
                    int from = random.Next(self.Length + 1);
                    chars.Insert(at, self.AsSpan(from, random.Next(Math.Min(16, self.Length - from) + 1)));
                    break;
            }
        }

        return chars.ToString();
    }

    private static string TokenSoup(Random random)
    {
        var text = new StringBuilder();
        int count = 1 + random.Next(20);
        for (int t = 0; t < count; t++)
        {
            text.Append(Tokens[random.Next(Tokens.Length)]);
        }

        return text.ToString();
    }

    private static string RandomChars(Random random, int length, bool unicode)
    {
        var text = new StringBuilder(length);
        for (int c = 0; c < length; c++)
        {
            text.Append(unicode ? (char)random.Next(char.MaxValue + 1) : "{}#^/ ab.:_"[random.Next(11)]);
        }

        return text.ToString();
    }

    private static string Escape(string text)
    {
        var escaped = new StringBuilder(text.Length + 2).Append('"');
        foreach (char c in text.Length > 300 ? text[..300] : text)
        {
            escaped.Append(c is >= ' ' and <= '~' and not '"' and not '\\' ? c.ToString() : $"\\u{(int)c:x4}");
        }

        return escaped.Append(text.Length > 300 ? "\"..." : "\"").ToString();
    }
}
