using System.Globalization;
using System.Text;

namespace Alerting.Cli.Files;

/// <summary>
/// Translates the PromQL expressions of alerting rules that say "one metric crosses a threshold"
/// into monitor queries, and says why for every other expression. The subset:
/// <code>
/// expr      = operand, cmp, number | number, cmp, operand ;          (* cmp: &gt; &gt;= &lt; &lt;= *)
/// operand   = [ agg, [ "by", labels ] ], "(", inner, ")", [ "by", labels ] | inner | "(", operand, ")" ;
/// agg       = "sum" | "avg" | "min" | "max" ;
/// inner     = fn, "(", selector, "[", duration, "]", ")" | selector ;
/// fn        = "avg_over_time" | "max_over_time" | "min_over_time" | "sum_over_time" | "count_over_time" ;
/// selector  = metric, [ "{", matcher, { ",", matcher }, [ "," ], "}" ] | "{", matchers with __name__, "}" ;
/// </code>
/// The window function becomes the time aggregation (<c>avg_over_time(m[5m])</c> is
/// <c>avg(last_5m)</c>); a bare selector is the latest point within Prometheus' 5 minute lookback,
/// <c>last(last_5m)</c>. An aggregation operator becomes the space aggregation and its <c>by</c>
/// the group-by. Without one, Prometheus alerts per series: the monitor groups by the labels
/// the rule's templates name (<paramref name="templateLabels"/>) and aggregates the series of a
/// group with <c>max</c> for <c>&gt;</c>/<c>&gt;=</c> and <c>min</c> for <c>&lt;</c>/<c>&lt;=</c>, so
/// a group breaches when any of its series does. Matchers become scope filters where the scope
/// syntax can say the same: <c>l="v"</c> is <c>l:v</c>, <c>l!="v"</c> is <c>!l:v</c>,
/// <c>l!=""</c> and <c>l=~".+"</c> are <c>l</c>, <c>l=~"v.*"</c> is <c>l:v*</c>, <c>l=~".*"</c>
/// matches everything, and a regex that is a plain value is that value.
/// </summary>
internal static class PromQlTranslator
{
    /// <summary>Prometheus' default lookback for an instant selector.</summary>
    public const long LookbackMs = 5 * 60_000;

    /// <summary>Shortest and longest window a monitor query takes.</summary>
    public const long MinWindowMs = 1_000;
    public const long MaxWindowMs = Alerting.Engine.Monitors.Query.QueryLimits.MaxWindowMs;

    private static readonly Dictionary<string, string> WindowFunctions = new(StringComparer.Ordinal)
    {
        ["avg_over_time"] = "avg",
        ["max_over_time"] = "max",
        ["min_over_time"] = "min",
        ["sum_over_time"] = "sum",
        ["count_over_time"] = "count",
    };

    private static readonly string[] SpaceAggregations = ["sum", "avg", "min", "max"];

    private static readonly string[] OtherAggregations = ["count", "stddev", "stdvar", "topk", "bottomk", "quantile", "count_values", "group", "limitk", "limit_ratio"];

    /// <summary>A translated query: the monitor query text and its threshold.</summary>
    public sealed record Translation(string Query, double Threshold);

    /// <summary>Translates <paramref name="expr"/>; false with <paramref name="reason"/> when the monitor query language cannot say it.</summary>
    public static bool TryTranslate(string expr, IReadOnlyCollection<string> templateLabels, out Translation? translation, out string reason)
    {
        ArgumentNullException.ThrowIfNull(expr);
        ArgumentNullException.ThrowIfNull(templateLabels);
        translation = null;
        try
        {
            var parser = new Parser(Tokenize(expr));
            translation = parser.ParseRule(templateLabels);
            reason = "";
            return true;
        }
        catch (UntranslatableException e)
        {
            reason = e.Message;
            return false;
        }
    }

    /// <summary>Milliseconds of a Prometheus duration (<c>1h30m</c>, <c>90s</c>, <c>500ms</c>); false when it is not one.</summary>
    public static bool TryParseDurationMs(string text, out long ms)
    {
        ArgumentNullException.ThrowIfNull(text);
        ms = 0;
        int i = 0;
        if (text.Length == 0)
        {
            return false;
        }

        while (i < text.Length)
        {
            int start = i;
            while (i < text.Length && char.IsAsciiDigit(text[i]))
            {
                i++;
            }

            if (i == start || !long.TryParse(text.AsSpan(start, i - start), NumberStyles.None, CultureInfo.InvariantCulture, out long n) || n > 1_000_000_000)
            {
                return false;
            }

            long unit;
            if (text.AsSpan(i).StartsWith("ms", StringComparison.Ordinal))
            {
                unit = 1;
                i += 2;
            }
            else if (i < text.Length)
            {
                unit = text[i] switch
                {
                    's' => 1_000,
                    'm' => 60_000,
                    'h' => 3_600_000,
                    'd' => 86_400_000,
                    'w' => 7 * 86_400_000L,
                    'y' => 365 * 86_400_000L,
                    _ => 0,
                };
                i++;
            }
            else
            {
                return false;
            }

            if (unit == 0)
            {
                return false;
            }

            ms += n * unit;
        }

        return true;
    }

    /// <summary>A window as a query writes it (<c>last_5m</c>): the largest of w, h, m, s that divides it.</summary>
    private static string Window(long ms, string what)
    {
        if (ms < MinWindowMs || ms > MaxWindowMs || ms % 1_000 != 0)
        {
            throw new UntranslatableException($"{what} must be whole seconds from 1s to 1w for a monitor window");
        }

        const long WeekMs = 7 * 24 * 3_600_000L;
        return ms % WeekMs == 0 ? $"last_{ms / WeekMs}w" : ms % 3_600_000 == 0 ? $"last_{ms / 3_600_000}h" : ms % 60_000 == 0 ? $"last_{ms / 60_000}m" : $"last_{ms / 1_000}s";
    }

    private static List<Token> Tokenize(string text)
    {
        var tokens = new List<Token>();
        int i = 0;
        while (i < text.Length)
        {
            char c = text[i];
            if (char.IsWhiteSpace(c))
            {
                i++;
                continue;
            }

            if (c == '#')
            {
                while (i < text.Length && text[i] != '\n')
                {
                    i++;
                }

                continue;
            }

            int start = i;
            if (char.IsAsciiLetter(c) || c is '_' or ':')
            {
                while (i < text.Length && (char.IsAsciiLetterOrDigit(text[i]) || text[i] is '_' or ':'))
                {
                    i++;
                }

                tokens.Add(new Token(TokenKind.Identifier, text[start..i], start));
            }
            else if (char.IsAsciiDigit(c) || (c == '.' && i + 1 < text.Length && char.IsAsciiDigit(text[i + 1])))
            {
                while (i < text.Length && (char.IsAsciiLetterOrDigit(text[i]) || text[i] == '.' || ((text[i] is '+' or '-') && text[i - 1] is 'e' or 'E')))
                {
                    i++;
                }

                tokens.Add(new Token(TokenKind.Number, text[start..i], start));
            }
            else if (c is '"' or '\'' or '`')
            {
                tokens.Add(new Token(TokenKind.String, ReadString(text, ref i), start));
            }
            else
            {
                string two = i + 1 < text.Length ? text.Substring(i, 2) : "";
                string op = two is ">=" or "<=" or "==" or "!=" or "=~" or "!~" ? two : c.ToString();
                i += op.Length;
                tokens.Add(new Token(TokenKind.Punctuation, op, start));
            }
        }

        tokens.Add(new Token(TokenKind.End, "", text.Length));
        return tokens;
    }

    private static string ReadString(string text, ref int i)
    {
        char quote = text[i++];
        var value = new StringBuilder();
        while (i < text.Length && text[i] != quote)
        {
            if (text[i] == '\\' && quote != '`' && i + 1 < text.Length)
            {
                i++;
                value.Append(text[i] switch { 'n' => '\n', 't' => '\t', _ => text[i] });
            }
            else
            {
                value.Append(text[i]);
            }

            i++;
        }

        if (i >= text.Length)
        {
            throw new UntranslatableException("unterminated string in the expression");
        }

        i++;
        return value.ToString();
    }

    /// <summary>A scope filter for one label matcher, or null when the matcher selects every series.</summary>
    internal static string? Filter(string label, string op, string value)
    {
        if (label.StartsWith("__", StringComparison.Ordinal))
        {
            throw new UntranslatableException($"matcher on internal label '{label}' has no scope equivalent");
        }

        if (!IsTagKey(label))
        {
            throw new UntranslatableException($"label '{label}' is not a valid tag key");
        }

        string matcher = $"{label}{op}\"{value}\"";
        switch (op)
        {
            case "=":
                return value.Length == 0
                    ? throw new UntranslatableException($"{matcher} (label absent) has no scope equivalent")
                    : $"{label}:{TagValue(value, matcher)}";
            case "!=":
                return value.Length == 0 ? label : $"!{label}:{TagValue(value, matcher)}";
            case "=~":
                if (value == ".*")
                {
                    return null;
                }

                if (value == ".+")
                {
                    return label;
                }

                if (value.EndsWith(".*", StringComparison.Ordinal) && RegexLiteral(value[..^2]) is { Length: > 0 } prefix)
                {
                    return $"{label}:{TagValue(prefix, matcher)}*";
                }

                return RegexLiteral(value) is { Length: > 0 } literal
                    ? $"{label}:{TagValue(literal, matcher)}"
                    : throw new UntranslatableException($"{matcher}: the scope takes a value, a prefix* or a key, not this regex");
            case "!~":
                return RegexLiteral(value) is { Length: > 0 } negated
                    ? $"!{label}:{TagValue(negated, matcher)}"
                    : throw new UntranslatableException($"{matcher}: a negated scope filter takes one value, not this regex");
            default:
                throw new UntranslatableException($"unknown matcher '{op}'");
        }
    }

    /// <summary>The text a regex matches when it matches exactly one string, else null.</summary>
    private static string? RegexLiteral(string regex)
    {
        var literal = new StringBuilder();
        for (int i = 0; i < regex.Length; i++)
        {
            char c = regex[i];
            if (c == '\\' && i + 1 < regex.Length && !char.IsAsciiLetterOrDigit(regex[i + 1]))
            {
                literal.Append(regex[++i]);
            }
            else if (".^$*+?()[]{}|\\".Contains(c, StringComparison.Ordinal))
            {
                return null;
            }
            else
            {
                literal.Append(c);
            }
        }

        return literal.ToString();
    }

    private static string TagValue(string value, string matcher) =>
        value.All(c => char.IsLetterOrDigit(c) || c is '_' or '-' or '.' or '/' or ':')
            ? value
            : throw new UntranslatableException($"{matcher}: the value has characters a scope value cannot hold (letters, digits, _ - . / : only)");

    internal static bool IsTagKey(string key) =>
        key.Length > 0 && char.IsLetter(key[0]) && key.Skip(1).All(c => char.IsLetterOrDigit(c) || c is '_' or '-' or '.' or '/');

    private enum TokenKind
    {
        Identifier,
        Number,
        String,
        Punctuation,
        End,
    }

    private sealed record Token(TokenKind Kind, string Text, int Offset)
    {
        public string Describe => Kind == TokenKind.End ? "the end of the expression" : $"'{Text}' at column {Offset + 1}";
    }

    private sealed class UntranslatableException(string message) : Exception(message);

    /// <summary>What the operand side of the comparison selects and how it aggregates.</summary>
    private sealed class Operand
    {
        public string? SpaceAggregation { get; set; }

        public List<string>? By { get; set; }

        public string TimeAggregation { get; set; } = "last";

        public string Window { get; set; } = "";

        public string Metric { get; set; } = "";

        public List<string> Scope { get; } = [];
    }

    private sealed class Parser(List<Token> tokens)
    {
        private int _pos;

        private Token Current => tokens[_pos];

        public Translation ParseRule(IReadOnlyCollection<string> templateLabels)
        {
            Operand operand;
            string comparator;
            double threshold;
            if (Current.Kind == TokenKind.Number || (Current.Text is "-" or "+" && tokens[_pos + 1].Kind == TokenKind.Number))
            {
                threshold = ParseNumber();
                comparator = Flip(ParseComparator());
                operand = ParseOperand();
            }
            else
            {
                operand = ParseOperand();
                comparator = ParseComparator();
                threshold = ParseNumber();
            }

            if (Current.Kind != TokenKind.End)
            {
                throw Unexpected("a single comparison of one metric with a number");
            }

            if (operand.SpaceAggregation is null)
            {
                // Per-series alerts: group by the labels the templates name; a group breaches when any series does.
                operand.SpaceAggregation = comparator.StartsWith('>') ? "max" : "min";
                operand.By = templateLabels.Where(IsTagKey).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
            }

            string scope = operand.Scope.Count == 0 ? "*" : string.Join(',', operand.Scope);
            string by = operand.By is { Count: > 0 } keys ? $" by {{{string.Join(',', keys)}}}" : "";
            string number = threshold.ToString("R", CultureInfo.InvariantCulture);
            string query = $"{operand.TimeAggregation}({operand.Window}):{operand.SpaceAggregation}:{operand.Metric}{{{scope}}}{by} {comparator} {number}";
            return new Translation(query, threshold);
        }

        private Operand ParseOperand()
        {
            if (Current.Text == "(")
            {
                _pos++;
                Operand inner = ParseOperand();
                Expect(")");
                return inner;
            }

            if (Current.Kind == TokenKind.Identifier && tokens[_pos + 1].Text is "(" or "by" or "without")
            {
                string name = Current.Text;
                if (SpaceAggregations.Contains(name))
                {
                    _pos++;
                    List<string>? by = ParseGrouping();
                    Expect("(");
                    Operand inner = ParseInner();
                    Expect(")");
                    by ??= ParseGrouping();
                    inner.SpaceAggregation = name;
                    inner.By = by ?? [];
                    return inner;
                }

                if (OtherAggregations.Contains(name))
                {
                    throw new UntranslatableException($"aggregation '{name}' has no space aggregation equivalent (sum, avg, min, max)");
                }
            }

            return ParseInner();
        }

        private List<string>? ParseGrouping()
        {
            if (Current.Text == "without")
            {
                throw new UntranslatableException("'without' grouping has no equivalent: a monitor groups by the tags it names ('by')");
            }

            if (Current.Text != "by")
            {
                return null;
            }

            _pos++;
            Expect("(");
            var labels = new List<string>();
            while (Current.Text != ")")
            {
                if (Current.Kind != TokenKind.Identifier)
                {
                    throw Unexpected("a label name");
                }

                if (!IsTagKey(Current.Text))
                {
                    throw new UntranslatableException($"label '{Current.Text}' is not a valid tag key");
                }

                labels.Add(Current.Text);
                _pos++;
                if (Current.Text == ",")
                {
                    _pos++;
                }
            }

            _pos++;
            return labels;
        }

        private Operand ParseInner()
        {
            if (Current.Kind == TokenKind.Identifier && tokens[_pos + 1].Text == "(")
            {
                string function = Current.Text;
                if (!WindowFunctions.TryGetValue(function, out string? aggregation))
                {
                    throw new UntranslatableException($"function {function}() has no monitor equivalent (avg/max/min/sum/count_over_time translate)");
                }

                _pos += 2;
                Operand selector = ParseSelector();
                Expect("[");
                if (Current.Kind != TokenKind.Number || !TryParseDurationMs(Current.Text, out long ms))
                {
                    throw Unexpected("a range duration like 5m");
                }

                _pos++;
                if (Current.Text == ":")
                {
                    throw new UntranslatableException("subqueries have no monitor equivalent");
                }

                Expect("]");
                RejectModifiers();
                Expect(")");
                selector.TimeAggregation = aggregation;
                selector.Window = Window(ms, $"range [{Format(ms)}]");
                return selector;
            }

            Operand instant = ParseSelector();
            if (Current.Text == "[")
            {
                throw new UntranslatableException("a range vector must be inside a *_over_time function");
            }

            RejectModifiers();
            instant.Window = Window(LookbackMs, "lookback");
            return instant;
        }

        private void RejectModifiers()
        {
            if (Current.Text is "offset" or "@")
            {
                throw new UntranslatableException($"'{Current.Text}' modifier has no monitor equivalent");
            }
        }

        private Operand ParseSelector()
        {
            var operand = new Operand();
            if (Current.Kind == TokenKind.Identifier && tokens[_pos + 1].Text == "(")
            {
                throw new UntranslatableException(WindowFunctions.ContainsKey(Current.Text) || SpaceAggregations.Contains(Current.Text)
                    ? $"{Current.Text}() inside another function has no monitor equivalent: a monitor query aggregates one metric once in time and once across series"
                    : $"function {Current.Text}() has no monitor equivalent (avg/max/min/sum/count_over_time translate)");
            }

            if (Current.Kind == TokenKind.Identifier)
            {
                operand.Metric = Current.Text;
                _pos++;
            }
            else if (Current.Text != "{")
            {
                throw Unexpected("a metric name");
            }

            if (Current.Text == "{")
            {
                _pos++;
                while (Current.Text != "}")
                {
                    if (Current.Kind != TokenKind.Identifier)
                    {
                        throw Unexpected("a label matcher");
                    }

                    string label = Current.Text;
                    _pos++;
                    string op = Current.Text;
                    if (op is not ("=" or "!=" or "=~" or "!~"))
                    {
                        throw Unexpected("=, !=, =~ or !~");
                    }

                    _pos++;
                    if (Current.Kind != TokenKind.String)
                    {
                        throw Unexpected("a quoted label value");
                    }

                    string value = Current.Text;
                    _pos++;
                    if (label == "__name__" && op == "=" && operand.Metric.Length == 0)
                    {
                        operand.Metric = value;
                    }
                    else if (Filter(label, op, value) is { } filter)
                    {
                        operand.Scope.Add(filter);
                    }

                    if (Current.Text == ",")
                    {
                        _pos++;
                    }
                    else if (Current.Text != "}")
                    {
                        throw Unexpected("',' or '}'");
                    }
                }

                _pos++;
            }

            if (operand.Metric.Length == 0)
            {
                throw new UntranslatableException("the selector names no metric");
            }

            if (!char.IsAsciiLetter(operand.Metric[0]) || !operand.Metric.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '.'))
            {
                throw new UntranslatableException($"metric name '{operand.Metric}' has characters a monitor metric cannot hold (a letter, then letters, digits, _ and .)");
            }

            return operand;
        }

        private string ParseComparator()
        {
            string op = Current.Text;
            if (op is "==" or "!=")
            {
                throw new UntranslatableException($"comparison '{op}' has no threshold equivalent (>, >=, <, <= translate)");
            }

            if (op is "and" or "or" or "unless")
            {
                throw new UntranslatableException($"set operator '{op}' combines series; a monitor watches one metric");
            }

            if (op is not (">" or ">=" or "<" or "<="))
            {
                throw Unexpected("a comparison (>, >=, <, <=) with a number");
            }

            _pos++;
            if (Current.Text == "bool")
            {
                throw new UntranslatableException("the 'bool' modifier has no monitor equivalent");
            }

            return op;
        }

        private double ParseNumber()
        {
            int sign = 1;
            if (Current.Text is "-" or "+")
            {
                sign = Current.Text == "-" ? -1 : 1;
                _pos++;
            }

            if (Current.Kind != TokenKind.Number)
            {
                throw Current.Kind is TokenKind.Identifier or TokenKind.Punctuation && Current.Text != ""
                    ? new UntranslatableException($"the threshold must be a number: comparing with {Current.Describe} (another series or expression) has no monitor equivalent")
                    : Unexpected("a number");
            }

            if (!double.TryParse(Current.Text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) || !double.IsFinite(value))
            {
                throw new UntranslatableException($"threshold '{Current.Text}' is not a finite decimal number");
            }

            _pos++;
            if (Current.Kind == TokenKind.Punctuation && Current.Text is "+" or "-" or "*" or "/" or "%" or "^")
            {
                throw new UntranslatableException("arithmetic in the threshold has no monitor equivalent; write the computed number");
            }

            return sign * value;
        }

        private void Expect(string text)
        {
            if (Current.Text != text)
            {
                throw Unexpected($"'{text}'");
            }

            _pos++;
        }

        private UntranslatableException Unexpected(string expected)
        {
            if (Current.Kind == TokenKind.Punctuation && Current.Text is "+" or "-" or "*" or "/" or "%" or "^")
            {
                return new UntranslatableException($"arithmetic ('{Current.Text}' at column {Current.Offset + 1}) has no monitor equivalent");
            }

            if (Current.Kind == TokenKind.Identifier && Current.Text is "and" or "or" or "unless")
            {
                return new UntranslatableException($"set operator '{Current.Text}' combines series; a monitor watches one metric");
            }

            return new UntranslatableException($"not a single-metric threshold: expected {expected}, found {Current.Describe}");
        }

        private static string Flip(string comparator) => comparator switch
        {
            ">" => "<",
            ">=" => "<=",
            "<" => ">",
            "<=" => ">=",
            _ => comparator,
        };
    }

    private static string Format(long ms) => ms % 1_000 == 0 ? $"{ms / 1_000}s" : $"{ms}ms";
}
