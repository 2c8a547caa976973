using System.Diagnostics;
using System.Globalization;
using System.Text;
using Alerting.Engine.Monitors.Query;

namespace Alerting.Engine.Tests.Monitors.Query;

/// <summary>
/// Feeds the parser random and mutated text. The run is a pure function of the seed, printed in
/// every failure; replay with the environment variable <c>ALERTING_QUERY_FUZZ_SEED</c>.
/// </summary>
public sealed class QueryParserFuzzTests
{
    private const int Cases = 120_000;
    private const int DefaultSeed = 424_242;
    private const string SeedVariable = "ALERTING_QUERY_FUZZ_SEED";

    // Parse is TryParse plus a throw; a thrown exception costs tens of microseconds, so the
    // throwing path is checked on the rejected inputs among every 4th case to keep the run to a few seconds.
    private const int ThrowingParseEvery = 4;

    // Far above the few seconds the run takes, so only a hang or a pathological slowdown trips it.
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(60);

    private static readonly string[] Corpus =
    [
        "avg(last_5m):avg:system.cpu.user{env:prod,!role:db} by {host} > 90",
        "change(avg(last_5m),last_1h):sum:http.requests{service:web*,canary} by {host,env} >= -2.5e3",
        "pct_change(max(last_1d),last_2d):max:disk.used{*} < 0.5",
        "count(last_30s):min:queue.depth{url:http://x:80/y} <= +.25",
        "last(last_48h):avg:m{région:île} by {zone} > 1E-3",
        "sum(last_1m):sum:m{*} > 0",
        "sum(last_5m):sum:http.errors{svc:api} by {env} / sum:http.requests{svc:api} by {env} * 100 > 5",
        "sum(current_1d):sum:orders{*} != 0",
        "max(current_1h):sum:a{*} / sum:b{*} == 2",
        "max(last_1h):-(abs(log2(sum:a{*} - -2)) + default_zero(log10(min:b{x:y*}))) / (3 - sum:c{!k:v}) <= 1e-3",
        "\"http.can_connect\".over(\"env:prod\",\"!role:db\").by(\"host\",\"url\").last(3).count_by_status()",
        "\"datadog.agent.up\".over(\"*\").last(1).count_by_status()",
        " \"c\" . over ( \"team:*\" ) . by ( \"host\" ) . last ( 100 ) . count_by_status ( ) ",
        "avg(last_5m):avg:m{env:prod AND (service IN (web, api*) OR NOT team:core) , host NOT IN (a,*-b)} by {host} > 1",
        "max(last_1h):sum:a{host:*-prod OR host:web-*-1 AND NOT (x:1 OR !y:2)} / sum:b{NOT NOT k:v*} > 1",
        "\"c\".over(\"host:web-*-1\",\"env:*-prod\").last(1).count_by_status()",
        "avg(last_4h):anomalies(avg:system.cpu.user{env:prod} by {host}, 'basic', 2, direction='both', alert_window='last_15m', interval=60, count_default_zero='true') >= 1",
        "sum(last_1h):anomalies(sum:a{*} / sum:b{*},\"basic\",3.5,alert_window='last_5m',direction=\"above\") >= 0.5",
        "avg(last_5m):top(avg:system.cpu.user{env:prod} by {host}, 10, 'mean', 'desc') > 90",
        "max(last_1h):top(sum:a{*} by {env} / sum:b{*} by {env},5,'l2norm','asc') >= 0.5",
        "sum(last_15m):top(sum:http.errors{env:prod} by {service}.as_count(), 5, 'sum', 'desc') > 100",
        "max(last_1h):top(sum:a{*} by {host}.rollup(sum, 300).fill(zero) / sum:b{*} by {host}.as_rate(), 10, 'area', 'asc') > 1",
        "sum(last_4h):anomalies(sum:checkout.orders{*}.as_count(), 'basic', 2, direction='below', alert_window='last_30m', count_default_zero='true') >= 1",
        "avg(last_1d):anomalies(avg:queue.depth{*} by {queue}.rollup(max, 3600).fill(last, 600), 'basic', 3, alert_window='last_4h') >= 0.5",
        "sum(last_5m):sum:http.errors{*} by {env}.as_count() / sum:http.hits{*} by {env}.as_count() > 0.05",
        "avg(last_1w):avg:m{*}.rollup(max, 3600).fill(last, 7200) by {host} > 1",
        "max(last_1h):sum:jobs{*} by {queue}.as_rate().rollup(sum,60).fill(zero) >= 2",
        "min(last_10m):avg:m{*} . fill ( null ) . rollup ( count ) < 1",
        "percentile(last_5m):p99:request.latency{service:api} by {host} > 0.5",
        "percentile( last_1h ) : p99.9 : http_request_duration_seconds_bucket{env:prod AND NOT le:0.5} by {env,region} <= 2e-3",
        "percentile(last_1w):p0.01:m{*} != 1",
    ];

    private static readonly string[] Tokens =
    [
        "avg", "sum", "min", "max", "last", "count", "change", "pct_change", "(", ")", ":", ",", "{", "}", "*", "!",
        "last_5m", "last_0s", "last_3d", "last_", "by", ">", ">=", "<", "<=", "=", "90", "-1.5e10", "1e999", ".",
        "system.cpu", "env:prod", "host", "\"", "\"c\"", ".over", ".by", ".last", ".count_by_status", "()", " ", "\t",
        "\n", "+", "-", "/", "==", "!=", " AND ", " OR ", "NOT ", " IN (", " NOT IN (", "AND", "OR", "NOT", "IN", "*-", "-*-", "current_1h", "current_1d", "current_", "abs(", "log2(", "log10(", "default_zero(", "anomalies(", "top(", "'mean'", "'l2norm'", "'desc'", "'asc'", "'basic'", "'agile'", "direction=", "'above'", "alert_window=", "'last_15m'", "interval=", "count_default_zero=", "'true'", "((", "))", "percentile(", "p99", "p99.9", "p99.99", "p100", "p0", "p", "le", "by {le}", ".as_count()", ".as_rate()", ".rollup(", ".fill(", "rollup", "fill", "null", "zero", "3600", "last_1w", "w", "\u00e9", "\ud83d\ude00", "\ud800", "\0",
    ];

    private const string SyntaxChars = "(){}:,!*\".<>=+-eE_ \t0123456789abcdlmsyz/";

    [Fact]
    public async Task Random_and_mutated_text_never_throws_unexpectedly_and_every_error_is_positioned()
    {
        int seed = int.TryParse(Environment.GetEnvironmentVariable(SeedVariable), CultureInfo.InvariantCulture, out int replay)
            ? replay
            : DefaultSeed;
        var progress = new Progress();
        Task<int> run = Task.Run(() => Run(seed, progress));

        int parsed = 0;
        try
        {
            parsed = await run.WaitAsync(Budget);
        }
        catch (TimeoutException)
        {
            Assert.Fail($"fuzz seed {seed} ({SeedVariable}): case {progress.Case} of {Cases} not done after {Budget}; input {Escape(progress.Input)}");
        }

        // The mutations must also reach the accepting paths, or the round-trip check above is vacuous.
        Assert.True(parsed > Cases / 100, $"fuzz seed {seed}: only {parsed} of {Cases} inputs parsed");
    }

    private static int Run(int seed, Progress progress)
    {
        var random = new Random(seed);
        var stopwatch = Stopwatch.StartNew();
        int parsed = 0;
        for (int i = 0; i < Cases; i++)
        {
            string text = NextInput(random);
            progress.Case = i;
            progress.Input = text;
            try
            {
                parsed += Check(text, checkThrowingParse: i % ThrowingParseEvery == 0) ? 1 : 0;
            }
            catch (Exception ex)
            {
                throw new InvalidOperationException($"fuzz seed {seed} ({SeedVariable}): case {i} failed on input {Escape(text)}", ex);
            }

            if (stopwatch.Elapsed > Budget)
            {
                throw new TimeoutException($"fuzz seed {seed}: over budget at case {i}");
            }
        }

        return parsed;
    }

    // The properties every input must satisfy; returns whether it parsed.
    private static bool Check(string text, bool checkThrowingParse)
    {
        bool ok = QueryParser.TryParse(text, out MonitorQuery? query, out QueryParseError? error);
        if (ok)
        {
            Assert.Equal(query, QueryParser.Parse(QueryFormatter.Format(query!)));
            Assert.Equal(query, QueryParser.Parse(text));
            return true;
        }

        Assert.InRange(error!.Position, 0, Math.Min(text.Length, QueryLimits.MaxQueryLength));
        Assert.False(string.IsNullOrEmpty(error.Expected));
        Assert.Contains($"column {error.Column}", error.Message, StringComparison.Ordinal);
        if (!checkThrowingParse)
        {
            return false;
        }

        try
        {
            QueryParser.Parse(text);
        }
        catch (QueryParseException thrown)
        {
            Assert.Equal(error, thrown.Error);
            return false;
        }

        Assert.Fail("Parse accepted a text that TryParse rejected");
        return false;
    }

    private static string NextInput(Random random)
    {
        int kind = random.Next(100);
        return kind switch
        {
            < 65 => Mutate(random, Corpus[random.Next(Corpus.Length)]),
            < 80 => TokenSoup(random),
            < 89 => RandomChars(random, random.Next(80), unicode: false),
            < 98 => RandomChars(random, random.Next(40), unicode: true),
            _ => Corpus[random.Next(Corpus.Length)] + new string(' ', QueryLimits.MaxQueryLength - 80 + random.Next(100)),
        };
    }

    private static string Mutate(Random random, string text)
    {
        var chars = new StringBuilder(text);
        int mutations = 1 + random.Next(4);
        for (int m = 0; m < mutations; m++)
        {
            int at = random.Next(chars.Length + 1);
            switch (random.Next(8))
            {
                case 0:
                    chars.Insert(at, RandomChar(random));
                    break;
                case 1 when at < chars.Length:
                    chars.Remove(at, 1);
                    break;
                case 2 when at < chars.Length:
                    chars[at] = RandomChar(random);
                    break;
                case 3:
                    chars.Insert(at, Tokens[random.Next(Tokens.Length)]);
                    break;
                case 4:
                    string donor = Corpus[random.Next(Corpus.Length)];
                    int start = random.Next(donor.Length);
                    chars.Insert(at, donor.AsSpan(start, random.Next(donor.Length - start + 1)));
                    break;
                case 5:
                    chars.Length = at;
                    break;
                case 6 when at + 1 < chars.Length:
                    (chars[at], chars[at + 1]) = (chars[at + 1], chars[at]);
                    break;
                default:
                    string self = chars.ToString();
                    int from = random.Next(self.Length + 1);
                    chars.Insert(at, self.AsSpan(from, random.Next(Math.Min(12, self.Length - from) + 1)));
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
            if (random.Next(4) == 0)
            {
                text.Append(' ');
            }
        }

        return text.ToString();
    }

    private static string RandomChars(Random random, int length, bool unicode)
    {
        var text = new StringBuilder(length);
        for (int c = 0; c < length; c++)
        {
            text.Append(unicode ? (char)random.Next(char.MaxValue + 1) : (char)random.Next(' ', '~' + 1));
        }

        return text.ToString();
    }

    private static char RandomChar(Random random) =>
        random.Next(4) == 0 ? (char)random.Next(char.MaxValue + 1) : SyntaxChars[random.Next(SyntaxChars.Length)];

    private static string Escape(string? text)
    {
        if (text is null)
        {
            return "<none>";
        }

        var escaped = new StringBuilder(text.Length + 2).Append('"');
        foreach (char c in text.Length > 300 ? text[..300] : text)
        {
            escaped.Append(c is >= ' ' and <= '~' and not '"' and not '\\' ? c.ToString() : $"\\u{(int)c:x4}");
        }

        return escaped.Append(text.Length > 300 ? "\"..." : "\"").ToString();
    }

    // Written by the fuzz loop and read by the test thread only to report a hang.
    private sealed class Progress
    {
        private int _case;
        private string? _input;

        public int Case
        {
            get => Volatile.Read(ref _case);
            set => Volatile.Write(ref _case, value);
        }

        public string? Input
        {
            get => Volatile.Read(ref _input);
            set => Volatile.Write(ref _input, value);
        }
    }
}
