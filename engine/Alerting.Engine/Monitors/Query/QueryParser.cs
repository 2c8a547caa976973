using System.Collections.Immutable;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace Alerting.Engine.Monitors.Query;

/// <summary>
/// Parses monitor query text (Datadog syntax) into a <see cref="MonitorQuery"/>. A hand-written
/// recursive descent over the text: every step either consumes at least one char or fails, so
/// parsing ends in O(length), and ordinary errors are returned, not thrown.
/// </summary>
/// <remarks>
/// Grammar (EBNF; <c>ws</c> = any run of space, tab, CR, LF, allowed wherever written):
/// <code>
/// query          = ws, ( metric_query | percentile_query | check_query ), ws ;
///
/// percentile_query = "percentile", ws, "(", ws, window (* last_… only *), ws, ")", ws, ":", ws, percentile, ws, ":",
///                  ws, metric, ws, scope, [ ws, group_by (* not le *) ], ws, comparator, ws, threshold ;
///                  (* no modifiers; a percentile is not an operand of a formula *)
/// percentile     = "p", digit, [ digit ], [ ".", digit, [ digit ] ] ;   (* above p0, below p100 *)
///
/// metric_query   = time_agg, ws, ":", ws, ( anomalies | top | formula ), ws, comparator, ws, threshold ;
/// top            = "top", ws, "(", ws, formula, ws, ",", ws, digits (* 1 .. 100 *), ws, ",", ws,
///                  "'", ( "mean" | "min" | "max" | "sum" | "last" | "area" | "l2norm" | "norm" ), "'", ws, ",", ws,
///                  ( "'desc'" | "'asc'" ), ws, ")" ;     (* plain window only *)
/// anomalies      = "anomalies", ws, "(", ws, formula, ws, ",", ws, "'basic'", ws, ",", ws, number (* bounds *),
///                  { ws, ",", ws, anomaly_arg }, ws, ")" ;
///                  (* alert_window required and shorter than the window; comparator ">="; threshold 0 .. 1 *)
/// anomaly_arg    = "direction", ws, "=", ws, ( "'both'" | "'above'" | "'below'" )
///                | "alert_window", ws, "=", ws, "'", window, "'"
///                | "interval", ws, "=", ws, digits                (* seconds, 1 .. 86400 *)
///                | "count_default_zero", ws, "=", ws, ( "'true'" | "'false'" ) ;
///                  (* a formula that is one operand is a MetricQuery, otherwise a FormulaQuery *)
/// formula        = product, { ws, ( "+" | "-" ), ws, product } ;
/// product        = factor, { ws, ( "*" | "/" ), ws, factor } ;
/// factor         = number                                  (* a constant; "-5" is one *)
///                | "-", ws, factor                         (* negation *)
///                | "(", ws, formula, ws, ")"
///                | function, ws, "(", ws, formula, ws, ")"
///                | operand ;
/// function       = "abs" | "log2" | "log10" | "default_zero" | "per_second" | "per_minute" | "diff" ;
/// operand        = space_agg, ws, ":", ws, metric, ws, scope, modifiers, [ ws, group_by, modifiers ] ;
///                  (* every operand of a formula has the same group_by; modifiers in one of the two places *)
/// modifiers      = { ws, ".", ws, ( "as_count", ws, "(", ws, ")" | "as_rate", ws, "(", ws, ")"
///                  | "rollup", ws, "(", ws, rollup_method, [ ws, ",", ws, digits ], ws, ")"   (* seconds, 1 .. window *)
///                  | "fill", ws, "(", ws, ( "null" | ( "zero" | "last" ), [ ws, ",", ws, digits ] ), ws, ")" ) } ;
///                  (* each at most once; not both as_count and as_rate; the queries of a formula that
///                     write a rollup interval write the same one; a fill limit is 1 .. 604800 s *)
/// rollup_method  = "avg" | "sum" | "min" | "max" | "count" ;
/// time_agg       = simple_agg, ws, "(", ws, window, ws, ")"
///                | ( "change" | "pct_change" ), ws, "(", ws, simple_agg, ws, "(", ws, window, ws, ")",
///                  ws, ",", ws, window (* the shift *), ws, ")" ;
/// simple_agg     = "avg" | "sum" | "min" | "max" | "last" | "count" ;
/// space_agg      = "avg" | "sum" | "min" | "max" ;
/// window         = "last_", digit, { digit }, ( "s" | "m" | "h" | "d" | "w" )  (* 1s .. 1w *)
///                | "current_1h" | "current_1d" ;   (* calendar-aligned, UTC; not inside change *)
/// metric         = ascii_letter, { ascii_letter | digit | "_" | "." } ;     (* at most 200 *)
/// scope          = "{", ws, ( "*" | scope_or, { ws, ",", ws, scope_or } ), ws, "}" ;
///                  (* ',' is AND, binding loosest *)
/// scope_or       = scope_and, { ws, "OR", ws, scope_and } ;
/// scope_and      = scope_not, { ws, "AND", ws, scope_not } ;
/// scope_not      = "NOT", ws, scope_not                   (* parentheses and NOTs nest at most 8 deep *)
///                | "(", ws, scope_or, ws, ")"
///                | tag_key, ws, [ "NOT", ws ], "IN", ws, "(", ws, pattern, { ws, ",", ws, pattern }, ws, ")"
///                | filter ;
///                  (* AND, OR, NOT, IN are operators only in capitals and followed by ws or "(" *)
/// filter         = "!", tag_key, ":", tag_value          (* has not this tag *)
///                | tag_key, ":", pattern                  (* has this tag, or one the pattern matches *)
///                | tag_key ;                              (* has the key, any value; not AND/OR/NOT/IN *)
/// pattern        = tag_value                              (* exactly *)
///                | [ tag_value ], "*"                     (* value starts with *)
///                | { tag_value | "*" }                    (* any other '*': any run of chars; "**" is "*" *)
/// tag_key        = letter, { letter | digit | "_" | "-" | "." | "/" } ;
/// tag_value      = ( letter | digit | "_" | "-" | ":" | "." | "/" ), { ... same ... } ;
/// group_by       = "by", ws, "{", ws, tag_key, { ws, ",", ws, tag_key }, ws, "}" ;
/// comparator     = "&gt;=" | "&gt;" | "&lt;=" | "&lt;" | "==" | "!=" ;
/// threshold      = number ;
/// number         = [ "+" | "-" ], ( digits, [ ".", [ digits ] ] | ".", digits ),
///                  [ ( "e" | "E" ), [ "+" | "-" ], digits ] ;               (* finite *)
///
/// check_query    = '"', check_name, '"', ws, ".", ws, "over", ws, "(", ws, quoted_filters, ws, ")",
///                  [ ws, ".", ws, "by", ws, "(", ws, quoted_key, { ws, ",", ws, quoted_key }, ws, ")" ],
///                  ws, ".", ws, "last", ws, "(", ws, digits (* 1 .. 100 *), ws, ")",
///                  ws, ".", ws, "count_by_status", ws, "(", ws, ")" ;
/// check_name     = ascii_letter, { ascii_letter | digit | "_" | "." | "-" } ;
/// quoted_filters = '"*"' | '"', filter, '"', { ws, ",", ws, '"', filter, '"' } ;
/// quoted_key     = '"', tag_key, '"' ;
/// </code>
/// A formula has at most <see cref="QueryLimits.MaxFormulaOperands"/> operands and
/// <see cref="QueryLimits.MaxFormulaNodes"/> nodes, nested at most <see cref="QueryLimits.MaxFormulaDepth"/> deep.
/// Keywords are lowercase. Tag keys and values keep their case. Group-by tags are distinct. The
/// bounds are in <see cref="QueryLimits"/>.
/// </remarks>
public static class QueryParser
{
    private const string TimeAggregationNames = "time aggregation (avg, sum, min, max, last, count, change, pct_change, percentile)";
    private const string InnerAggregationNames = "aggregation (avg, sum, min, max, last, count)";
    private const string SpaceAggregationNames = "space aggregation (avg, sum, min, max)";

    // Longest excerpt of the text quoted in a message, so a message stays readable.
    private const int MaxQuotedLength = 24;

    /// <summary>Parses a query, throwing on any error.</summary>
    /// <exception cref="QueryParseException">The text is not a valid query; the exception says where and what was expected.</exception>
    public static MonitorQuery Parse(string text)
    {
        if (TryParse(text, out MonitorQuery? query, out QueryParseError? error))
        {
            return query;
        }

        throw new QueryParseException(error);
    }

    /// <summary>Parses a query without throwing for invalid text.</summary>
    /// <returns>True with <paramref name="query"/> set, or false with <paramref name="error"/> set.</returns>
    public static bool TryParse(
        string text,
        [NotNullWhen(true)] out MonitorQuery? query,
        [NotNullWhen(false)] out QueryParseError? error)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length > QueryLimits.MaxQueryLength)
        {
            query = null;
            error = new QueryParseError(
                QueryLimits.MaxQueryLength,
                $"at most {QueryLimits.MaxQueryLength} characters",
                $"{text.Length} characters",
                after: null,
                problem: $"query is longer than {QueryLimits.MaxQueryLength} characters");
            return false;
        }

        var parser = new Parser(text);
        query = parser.ParseQuery();
        error = parser.Error;
        Invariant.Check((query is null) != (error is null), "exactly one of query and error is set");
        return query is not null;
    }

    private ref struct Parser
    {
        private readonly ReadOnlySpan<char> _text;
        private int _pos;

        // The last token consumed, quoted in messages as "after '...'".
        private int _lastStart;
        private int _lastEnd;

        // Formula bookkeeping: nodes and metric queries read so far, and the first query's group-by.
        private int _formulaNodes;
        private int _formulaOperands;
        private ImmutableArray<string> _formulaGroupBy;

        // The window (the inner one of a change), which bounds a rollup interval, and the rollup
        // interval the first query of a formula that wrote one wrote (0: none yet).
        private long _windowMs;
        private int _formulaRollupSeconds;

        public Parser(ReadOnlySpan<char> text)
        {
            _text = text;
        }

        public QueryParseError? Error { get; private set; }

        public MonitorQuery? ParseQuery()
        {
            SkipWhitespace();
            MonitorQuery? query;
            if (Peek() == '"')
            {
                query = ParseCheck();
            }
            else if (char.IsAsciiLetterLower(Peek()))
            {
                query = ParseMetric();
            }
            else
            {
                return Fail(TimeAggregationNames + " or quoted check name");
            }

            if (query is null)
            {
                return null;
            }

            SkipWhitespace();
            return _pos == _text.Length ? query : Fail("end of query");
        }

        private MonitorQuery? ParseMetric()
        {
            int aggStart = _pos;
            ReadOnlySpan<char> word = ReadKeyword();
            if (word.SequenceEqual("percentile"))
            {
                MarkToken(aggStart);
                return ParsePercentile();
            }

            if (!TryTimeAggregation(word, out TimeAggregation timeAggregation))
            {
                return FailAt<MonitorQuery>(aggStart, _pos, TimeAggregationNames);
            }

            MarkToken(aggStart);

            TimeAggregation? changeAggregation = null;
            bool calendarWindow = false;
            long windowMs;
            long shiftMs = 0;
            if (!Expect('(', "'('"))
            {
                return null;
            }

            if (MetricQuery.IsChange(timeAggregation))
            {
                SkipWhitespace();
                int innerStart = _pos;
                if (!TryTimeAggregation(ReadKeyword(), out TimeAggregation inner) || MetricQuery.IsChange(inner))
                {
                    return FailAt<MonitorQuery>(innerStart, Math.Max(_pos, innerStart + 1), InnerAggregationNames);
                }

                MarkToken(innerStart);
                changeAggregation = inner;
                if (!Expect('(', "'('") || !TryWindow("window", out windowMs) || !Expect(')', "')'")
                    || !Expect(',', "',' and the change shift") || !TryWindow("change shift", out shiftMs))
                {
                    return null;
                }
            }
            else if (_text[_pos..].TrimStart(" \t\r\n").StartsWith("current_"))
            {
                SkipWhitespace();
                int calendarStart = _pos;
                ReadOnlySpan<char> calendar = ReadKeyword();
                while (char.IsAsciiLetterOrDigit(Peek()))
                {
                    _pos++;
                    calendar = _text[calendarStart.._pos];
                }

                if (calendar.SequenceEqual("current_1h"))
                {
                    windowMs = QueryLimits.HourMs;
                }
                else if (calendar.SequenceEqual("current_1d"))
                {
                    windowMs = QueryLimits.DayMs;
                }
                else
                {
                    return FailAt<MonitorQuery>(calendarStart, _pos, "calendar window current_1h or current_1d");
                }

                MarkToken(calendarStart);
                calendarWindow = true;
            }
            else if (!TryWindow("window", out windowMs))
            {
                return null;
            }

            if (!Expect(')', "')'") || !Expect(':', "':'"))
            {
                return null;
            }

            SkipWhitespace();
            _windowMs = windowMs;
            int expressionStart = _pos;
            AnomalySpec? anomaly = null;
            TopSpec? top = null;
            int alertWindowAt = 0;
            FormulaNode? expression = AtCall("anomalies")
                ? ParseAnomalies(out anomaly, out alertWindowAt)
                : AtCall("top")
                    ? ParseTop(out top)
                    : ParseSum(depth: 0);
            if (expression is null)
            {
                return null;
            }

            if (_formulaOperands == 0)
            {
                FailProblem(expressionStart, "a formula reads at least one metric query", "a metric query such as avg:metric{*}");
                return null;
            }

            if (expression.Depth > QueryLimits.MaxFormulaDepth)
            {
                FailProblem(expressionStart, $"formula nests deeper than {QueryLimits.MaxFormulaDepth} levels", $"at most {QueryLimits.MaxFormulaDepth} nested parentheses and functions");
                return null;
            }

            SkipWhitespace();
            int comparatorAt = _pos;
            if (!TryComparator(out Comparator comparator) || !TryNumber("threshold", out double threshold))
            {
                return null;
            }

            if (anomaly is not null)
            {
                return CheckAnomalies(anomaly, expressionStart, alertWindowAt, comparatorAt, timeAggregation, windowMs, calendarWindow, comparator, threshold)
                    ? new FormulaQuery(timeAggregation, windowMs, expression, comparator, threshold, anomaly: anomaly)
                    : null;
            }

            if (top is not null)
            {
                if (MetricQuery.IsChange(timeAggregation) || calendarWindow)
                {
                    FailProblem(expressionStart, "top() reads a plain window", "a time aggregation over last_… (not change, pct_change or current_…)");
                    return null;
                }

                return new FormulaQuery(timeAggregation, windowMs, expression, comparator, threshold, top: top);
            }

            if (expression is OperandNode single)
            {
                return new MetricQuery(
                    timeAggregation, windowMs, single.Space, single.Metric, single.Scope, single.GroupBy, comparator, threshold, changeAggregation, shiftMs, calendarWindow, single.Modifiers);
            }

            return new FormulaQuery(timeAggregation, windowMs, expression, comparator, threshold, changeAggregation, shiftMs, calendarWindow);
        }

        // percentile_query after "percentile": "(", window, ")", ":", percentile, ":", metric, scope,
        // [ group_by ], comparator, threshold. Its own method, so the metric grammar stays apart.
        private MonitorQuery? ParsePercentile()
        {
            if (!Expect('(', "'('"))
            {
                return null;
            }

            SkipWhitespace();
            int windowAt = _pos;
            if (_text[_pos..].StartsWith("current_"))
            {
                FailProblem(windowAt, "a percentile reads a last_… window", "a window such as last_5m (calendar windows are not supported for percentiles)");
                return null;
            }

            if (!TryWindow("window", out long windowMs) || !Expect(')', "')'") || !Expect(':', "':'"))
            {
                return null;
            }

            SkipWhitespace();
            if (!TryPercentile(out int hundredths) || !Expect(':', "':'") || !TryMetricName(out string? metric))
            {
                return null;
            }

            SkipWhitespace();
            if (!Expect('{', "'{' to open the scope") || !TryFilters('}', quoted: false, out ImmutableArray<TagFilter> scope))
            {
                return null;
            }

            ImmutableArray<string> groupBy = [];
            SkipWhitespace();
            if (Peek() == '.')
            {
                FailProblem(_pos, "a percentile query takes no modifiers", "'by' or comparator (.as_count(), .as_rate(), .rollup() and .fill() do not apply to percentiles)");
                return null;
            }

            if (Peek() == 'b')
            {
                int byStart = _pos;
                if (!ReadKeyword().SequenceEqual("by"))
                {
                    return FailAt<MonitorQuery>(byStart, _pos, "'by' or comparator");
                }

                MarkToken(byStart);
                if (!Expect('{', "'{' after 'by'"))
                {
                    return null;
                }

                int groupAt = _pos;
                if (!TryGroupBy('}', quoted: false, out groupBy))
                {
                    return null;
                }

                if (groupBy.Contains(PercentileQuery.BoundTag))
                {
                    FailProblem(KeyAt(groupAt, PercentileQuery.BoundTag), "a percentile query cannot group by 'le'", "group-by tags other than le (the bucket bound the percentile is computed over)");
                    return null;
                }

                if (groupBy.Contains(PercentileQuery.BinTag))
                {
                    FailProblem(KeyAt(groupAt, PercentileQuery.BinTag), "a percentile query cannot group by 'bin_le'", "group-by tags other than bin_le (the bin bound the percentile is computed over)");
                    return null;
                }

                SkipWhitespace();
                if (Peek() == '.')
                {
                    FailProblem(_pos, "a percentile query takes no modifiers", "comparator (.as_count(), .as_rate(), .rollup() and .fill() do not apply to percentiles)");
                    return null;
                }
            }

            if (!TryComparator(out Comparator comparator) || !TryNumber("threshold", out double threshold))
            {
                return null;
            }

            return new PercentileQuery(windowMs, hundredths, metric, scope, groupBy, comparator, threshold);
        }

        // Position of the group-by key `key` in the list that starts at `from` (the key is there).
        private readonly int KeyAt(int from, string key)
        {
            for (int at = from; at + key.Length <= _pos; at++)
            {
                if (_text[at..].StartsWith(key) && !QueryCharset.IsTagKeyPart(_text[at - 1]) && (at + key.Length == _text.Length || !QueryCharset.IsTagKeyPart(_text[at + key.Length])))
                {
                    return at;
                }
            }

            return from;
        }

        // percentile = "p", digit, [ digit ], [ ".", digit, [ digit ] ], above p0 and below p100.
        private bool TryPercentile(out int hundredths)
        {
            const string expected = "percentile p50, p75, p90, p95, p99 or pN with up to two decimals (p99.9), above p0 and below p100";
            hundredths = 0;
            int start = _pos;
            if (Peek() != 'p' || !char.IsAsciiDigit(Peek(1)))
            {
                FailAt<object>(start, Math.Max(start + 1, SkipPercentileText(start)), expected);
                return false;
            }

            _pos++;
            int whole = 0;
            int wholeDigits = 0;
            while (char.IsAsciiDigit(Peek()))
            {
                whole = Math.Min(1_000, (whole * 10) + (Peek() - '0'));
                wholeDigits++;
                _pos++;
            }

            int fraction = 0;
            int fractionDigits = 0;
            if (Peek() == '.' && char.IsAsciiDigit(Peek(1)))
            {
                _pos++;
                while (char.IsAsciiDigit(Peek()))
                {
                    fraction = Math.Min(1_000, (fraction * 10) + (Peek() - '0'));
                    fractionDigits++;
                    _pos++;
                }
            }

            MarkToken(start);
            if (wholeDigits > 2 || fractionDigits > 2)
            {
                FailProblem(start, $"percentile '{Quote(start, _pos)}' is not one Datadog computes", expected);
                return false;
            }

            hundredths = (whole * 100) + (fractionDigits == 1 ? fraction * 10 : fraction);
            if (hundredths is < 1 or >= PercentileQuery.HundredthsPerWhole)
            {
                FailProblem(start, $"percentile '{Quote(start, _pos)}' is out of range", expected);
                return false;
            }

            return true;
        }

        // End of a word-like token at start (letters, digits, '.'), for quoting what was found.
        private readonly int SkipPercentileText(int start)
        {
            int end = start;
            while (end < _text.Length && (char.IsAsciiLetterOrDigit(_text[end]) || _text[end] == '.'))
            {
                end++;
            }

            return end;
        }

        // Whether the formula is anomalies(...) or top(...): the word followed by '(' (never an
        // operand, which starts with a space aggregation, nor a function of the formula).
        private readonly bool AtCall(string name)
        {
            ReadOnlySpan<char> rest = _text[_pos..];
            return rest.StartsWith(name) && rest[name.Length..].TrimStart(" \t\r\n").StartsWith("(");
        }

        // top = "top", ws, "(", ws, formula, ws, ",", ws, digits (* 1 .. 100 *), ws, ",", ws,
        //       quoted reducer, ws, ",", ws, ( "'desc'" | "'asc'" ), ws, ")" ;
        // reducer = mean | min | max | sum | last | area | l2norm | norm ;
        private FormulaNode? ParseTop(out TopSpec? top)
        {
            top = null;
            Consume("top".Length);
            if (!Expect('(', "'('"))
            {
                return null;
            }

            // Not a nesting level of the formula: top() stands only around the whole formula.
            FormulaNode? expression = ParseSum(depth: 0);
            if (expression is null || !Expect(',', "operator or ',' and the number of groups top() keeps"))
            {
                return null;
            }

            SkipWhitespace();
            if (!TryCheckedInteger("top() limit", 1, TopSpec.MaxLimit, out long limit) || !Expect(',', "',' and the top() reducer"))
            {
                return null;
            }

            SkipWhitespace();
            int reducerAt = _pos;
            const string reducers = "top() reducer ('mean', 'min', 'max', 'sum', 'last', 'area', 'l2norm' or 'norm')";
            if (!TryQuotedWord(reducers, out string? reducerName))
            {
                return null;
            }

            if (!TopSpec.TryParseReducer(reducerName, out TopReducer reducer))
            {
                return FailAt<FormulaNode>(reducerAt, _pos, reducers);
            }

            if (!Expect(',', "',' and the top() direction ('desc' or 'asc')"))
            {
                return null;
            }

            SkipWhitespace();
            int directionAt = _pos;
            if (!TryQuotedWord("top() direction ('desc' or 'asc')", out string? direction))
            {
                return null;
            }

            if (direction is not ("desc" or "asc"))
            {
                return FailAt<FormulaNode>(directionAt, _pos, "top() direction ('desc' or 'asc')");
            }

            if (!Expect(')', "')'"))
            {
                return null;
            }

            top = new TopSpec((int)limit, reducer, direction == "desc");
            return expression;
        }

        // anomalies = "anomalies", ws, "(", ws, formula, ws, ",", ws, "'basic'", ws, ",", ws, number,
        //             { ws, ",", ws, anomaly_arg }, ws, ")" ;
        // anomaly_arg = "direction", ws, "=", ws, ( "'both'" | "'above'" | "'below'" )
        //             | "alert_window", ws, "=", ws, "'", window, "'"       (* required *)
        //             | "interval", ws, "=", ws, digits                      (* seconds, 1 .. 86400 *)
        //             | "count_default_zero", ws, "=", ws, ( "'true'" | "'false'" ) ;
        private FormulaNode? ParseAnomalies(out AnomalySpec? anomaly, out int alertWindowAt)
        {
            anomaly = null;
            alertWindowAt = 0;
            int start = _pos;
            Consume("anomalies".Length);
            if (!Expect('(', "'('"))
            {
                return null;
            }

            // Not a nesting level of the formula: anomalies() stands only around the whole formula.
            FormulaNode? expression = ParseSum(depth: 0);
            if (expression is null || !Expect(',', "operator or ',' and the anomalies algorithm"))
            {
                return null;
            }

            SkipWhitespace();
            int algorithmAt = _pos;
            if (!TryQuotedWord("anomalies algorithm ('basic')", out string? algorithm))
            {
                return null;
            }

            if (algorithm != "basic")
            {
                FailProblem(algorithmAt, $"anomalies algorithm '{algorithm}' is not supported", "'basic' (agile, robust and adaptive are not built)");
                return null;
            }

            if (!Expect(',', "',' and the bounds (standard deviations)"))
            {
                return null;
            }

            SkipWhitespace();
            int boundsAt = _pos;
            if (!TryNumber("bounds", out double bounds))
            {
                return null;
            }

            if (bounds is <= 0 or > AnomalySpec.MaxBounds)
            {
                FailProblem(boundsAt, $"anomalies bounds {Quote(boundsAt, _pos)} is out of range", $"a number of standard deviations above 0 and at most {AnomalySpec.MaxBounds}");
                return null;
            }

            var direction = AnomalyDirection.Both;
            long alertWindowMs = 0;
            long interval = 0;
            bool countDefaultZero = false;
            int seen = 0;
            while (true)
            {
                SkipWhitespace();
                if (Peek() == ')')
                {
                    Consume(1);
                    break;
                }

                if (!Expect(',', "',' or ')'"))
                {
                    return null;
                }

                SkipWhitespace();
                int nameAt = _pos;
                ReadOnlySpan<char> name = ReadKeyword();
                int bit = name switch
                {
                    "direction" => 1,
                    "alert_window" => 2,
                    "interval" => 4,
                    "count_default_zero" => 8,
                    _ => 0,
                };
                if (bit == 0)
                {
                    return FailAt<FormulaNode>(nameAt, Math.Max(_pos, nameAt + 1), "anomalies argument direction, alert_window, interval or count_default_zero");
                }

                MarkToken(nameAt);
                if ((seen & bit) != 0)
                {
                    FailProblem(nameAt, $"anomalies argument {Quote(nameAt, _pos)} is given twice", "each argument at most once");
                    return null;
                }

                seen |= bit;
                if (!Expect('=', "'='"))
                {
                    return null;
                }

                SkipWhitespace();
                int valueAt = _pos;
                switch (bit)
                {
                    case 1:
                        if (!TryQuotedWord("direction ('both', 'above' or 'below')", out string? side))
                        {
                            return null;
                        }

                        if (side is not ("both" or "above" or "below"))
                        {
                            return FailAt<FormulaNode>(valueAt, _pos, "direction 'both', 'above' or 'below'");
                        }

                        direction = side == "above" ? AnomalyDirection.Above : side == "below" ? AnomalyDirection.Below : AnomalyDirection.Both;
                        break;
                    case 2:
                        alertWindowAt = valueAt;
                        if (!ExpectAdjacent('\'', "quoted alert window such as 'last_15m'") || !TryWindow("alert window", out alertWindowMs) || !ExpectAdjacent('\'', "closing quote"))
                        {
                            return null;
                        }

                        break;
                    case 4:
                        if (!TryCheckedInteger("interval", 1, AnomalySpec.MaxIntervalSeconds, out interval))
                        {
                            return null;
                        }

                        break;
                    default:
                        if (!TryQuotedWord("'true' or 'false'", out string? flag))
                        {
                            return null;
                        }

                        if (flag is not ("true" or "false"))
                        {
                            return FailAt<FormulaNode>(valueAt, _pos, "count_default_zero 'true' or 'false'");
                        }

                        countDefaultZero = flag == "true";
                        break;
                }
            }

            if ((seen & 2) == 0)
            {
                FailProblem(start, "anomalies() has no alert_window", "alert_window='last_…' (the trigger window), shorter than the query's window");
                return null;
            }

            anomaly = new AnomalySpec(bounds, direction, alertWindowMs, interval, countDefaultZero);
            return expression;
        }

        // A word in single or double quotes (lowercase letters, digits, '_'), as Datadog quotes
        // the anomalies arguments.
        private bool TryQuotedWord(string expected, [NotNullWhen(true)] out string? word)
        {
            word = null;
            int start = _pos;
            char quote = Peek();
            if (quote is not ('\'' or '"'))
            {
                Fail(expected);
                return false;
            }

            _pos++;
            int wordStart = _pos;
            while (char.IsAsciiLetterLower(Peek()) || char.IsAsciiDigit(Peek()) || Peek() == '_')
            {
                _pos++;
            }

            int wordEnd = _pos;
            if (Peek() != quote)
            {
                Fail("closing quote");
                return false;
            }

            _pos++;
            MarkToken(start);
            word = new string(_text[wordStart..wordEnd]);
            return true;
        }

        // Digits, in [min, max].
        private bool TryCheckedInteger(string what, long min, long max, out long value)
        {
            value = 0;
            int start = _pos;
            if (!char.IsAsciiDigit(Peek()))
            {
                Fail($"{what} digits");
                return false;
            }

            while (char.IsAsciiDigit(Peek()))
            {
                value = Math.Min(1_000_000_000, (value * 10) + (Peek() - '0'));
                _pos++;
            }

            MarkToken(start);
            if (value < min || value > max)
            {
                FailProblem(start, $"{what} {Quote(start, _pos)} is out of range", $"{what} from {min} to {max}");
                return false;
            }

            return true;
        }

        // What FormulaQuery requires of an anomalies() query, as positioned errors.
        private bool CheckAnomalies(AnomalySpec anomaly, int expressionStart, int alertWindowAt, int comparatorAt, TimeAggregation timeAggregation, long windowMs, bool calendarWindow, Comparator comparator, double threshold)
        {
            if (MetricQuery.IsChange(timeAggregation) || calendarWindow)
            {
                FailProblem(expressionStart, "anomalies() reads a plain window", "a time aggregation over last_… (not change, pct_change or current_…)");
                return false;
            }

            if (anomaly.AlertWindowMs >= windowMs)
            {
                FailProblem(alertWindowAt, $"alert window is not shorter than the query's window {QueryFormatter.FormatWindow(windowMs)}", "an alert window shorter than the query's window, which also holds the history the bounds come from");
                return false;
            }

            if (comparator != Comparator.GreaterOrEqual)
            {
                FailProblem(comparatorAt, "an anomalies() monitor compares the fraction of anomalous points with '>='", "'>='");
                return false;
            }

            if (threshold is < 0 or > 1)
            {
                FailProblem(_lastStart, "an anomalies() threshold is a fraction of the alert window's points", "a threshold from 0 to 1");
                return false;
            }

            return true;
        }

        // sum = product, { ws, ("+" | "-"), ws, product } ;  left-associative.
        private FormulaNode? ParseSum(int depth)
        {
            FormulaNode? left = ParseProduct(depth);
            while (left is not null)
            {
                SkipWhitespace();
                FormulaOperator op;
                if (Peek() == '+')
                {
                    op = FormulaOperator.Add;
                }
                else if (Peek() == '-')
                {
                    op = FormulaOperator.Subtract;
                }
                else
                {
                    return left;
                }

                int at = _pos;
                Consume(1);
                if (!CountNode(at))
                {
                    return null;
                }

                FormulaNode? right = ParseProduct(depth);
                left = right is null ? null : new BinaryNode(op, left, right);
            }

            return null;
        }

        // product = factor, { ws, ("*" | "/"), ws, factor } ;  left-associative.
        private FormulaNode? ParseProduct(int depth)
        {
            FormulaNode? left = ParseFactor(depth);
            while (left is not null)
            {
                SkipWhitespace();
                FormulaOperator op;
                if (Peek() == '*')
                {
                    op = FormulaOperator.Multiply;
                }
                else if (Peek() == '/')
                {
                    op = FormulaOperator.Divide;
                }
                else
                {
                    return left;
                }

                int at = _pos;
                Consume(1);
                if (!CountNode(at))
                {
                    return null;
                }

                FormulaNode? right = ParseFactor(depth);
                left = right is null ? null : new BinaryNode(op, left, right);
            }

            return null;
        }

        // factor = number | "-", factor | "(", sum, ")" | function, "(", sum, ")" | operand ;
        private FormulaNode? ParseFactor(int depth)
        {
            SkipWhitespace();
            int start = _pos;
            char c = Peek();
            if (char.IsAsciiDigit(c) || c == '.' || ((c is '-' or '+') && (char.IsAsciiDigit(Peek(1)) || Peek(1) == '.')))
            {
                if (!CountNode(start) || !TryNumber("constant", out double constant))
                {
                    return null;
                }

                return new ConstantNode(constant);
            }

            if (c == '-')
            {
                // Not a nesting level: a run of negations is bounded by the node count.
                Consume(1);
                if (!CountNode(start))
                {
                    return null;
                }

                FormulaNode? negated = ParseFactor(depth);
                return negated is null ? null : new FunctionNode(FormulaFunction.Negate, negated);
            }

            if (c == '(')
            {
                Consume(1);
                if (!Nest(start, depth))
                {
                    return null;
                }

                FormulaNode? inner = ParseSum(depth + 1);
                return inner is not null && Expect(')', "operator or ')'") ? inner : null;
            }

            if (!char.IsAsciiLetterLower(c))
            {
                FailAt<object>(start, start + 1, SpaceAggregationNames + ", function, number or '('");
                return null;
            }

            ReadOnlySpan<char> word = ReadKeyword();
            while (char.IsAsciiDigit(Peek()))
            {
                // log2, log10: function names end in digits.
                _pos++;
                word = _text[start.._pos];
            }

            if (TryFunction(word, out FormulaFunction function))
            {
                MarkToken(start);
                if (!Expect('(', "'('") || !Nest(start, depth) || !CountNode(start))
                {
                    return null;
                }

                FormulaNode? argument = ParseSum(depth + 1);
                return argument is not null && Expect(')', "operator or ')'") ? new FunctionNode(function, argument) : null;
            }

            if (!TrySpaceAggregation(word, out SpaceAggregation spaceAggregation))
            {
                if (word.Length > 1 && word[0] == 'p' && char.IsAsciiDigit(word[1]))
                {
                    FailProblem(start, $"percentile '{Quote(start, SkipPercentileText(start))}' needs the time aggregation percentile(…) and stands alone", "a space aggregation (avg, sum, min, max); write a percentile as percentile(last_5m):p99:metric{…} > threshold, outside formulas");
                    return null;
                }

                return FailAt<FormulaNode>(start, Math.Max(_pos, start + 1), SpaceAggregationNames);
            }

            MarkToken(start);
            return ParseOperand(start, spaceAggregation);
        }

        // operand = space_agg, ws, ":", ws, metric, ws, scope, [ ws, group_by ] ;
        private OperandNode? ParseOperand(int start, SpaceAggregation spaceAggregation)
        {
            if (_formulaOperands == QueryLimits.MaxFormulaOperands)
            {
                FailProblem(start, $"formula has more than {QueryLimits.MaxFormulaOperands} metric queries", $"at most {QueryLimits.MaxFormulaOperands} metric queries");
                return null;
            }

            if (!CountNode(start) || !Expect(':', "':'") || !TryMetricName(out string? metric))
            {
                return null;
            }

            SkipWhitespace();
            if (!Expect('{', "'{' to open the scope") || !TryFilters('}', quoted: false, out ImmutableArray<TagFilter> scope))
            {
                return null;
            }

            // Modifiers come after the scope or after the group-by (Datadog writes them last).
            SeriesModifiers modifiers = default;
            bool written = false;
            if (!TryModifiers(ref modifiers, ref written))
            {
                return null;
            }

            ImmutableArray<string> groupBy = [];
            SkipWhitespace();
            if (Peek() == 'b')
            {
                int byStart = _pos;
                if (!ReadKeyword().SequenceEqual("by"))
                {
                    return FailAt<OperandNode>(byStart, _pos, "'by' or comparator");
                }

                MarkToken(byStart);

                if (!Expect('{', "'{' after 'by'") || !TryGroupBy('}', quoted: false, out groupBy))
                {
                    return null;
                }

                if (!written && !TryModifiers(ref modifiers, ref written))
                {
                    return null;
                }
            }

            if (_formulaOperands > 0 && !groupBy.AsSpan().SequenceEqual(_formulaGroupBy.AsSpan()))
            {
                string first = _formulaGroupBy.IsEmpty ? "no 'by'" : $"by {{{string.Join(',', _formulaGroupBy)}}}";
                FailProblem(start, $"this metric query groups differently from the first one ({first})", "the same group-by tags, in the same order, in every query of a formula");
                return null;
            }

            _formulaGroupBy = groupBy;
            _formulaOperands++;
            return new OperandNode(spaceAggregation, metric, scope, groupBy, modifiers);
        }

        // modifiers = { ws, ".", ws, ( "as_count" | "as_rate" ), ws, "(", ws, ")"
        //             | ws, ".", ws, "rollup", ws, "(", ws, rollup_method, [ ws, ",", ws, seconds ], ws, ")"
        //             | ws, ".", ws, "fill", ws, "(", ws, ( "null" | "zero" | "last" ), [ ws, ",", ws, seconds ], ws, ")" } ;
        // each at most once, as_count and as_rate not both; `written` is set when one was read.
        private bool TryModifiers(ref SeriesModifiers modifiers, ref bool written)
        {
            while (true)
            {
                int save = _pos;
                SkipWhitespace();
                if (Peek() != '.')
                {
                    _pos = save;
                    return true;
                }

                Consume(1);
                SkipWhitespace();
                int start = _pos;
                ReadOnlySpan<char> name = ReadKeyword();
                switch (name)
                {
                    case "as_count" or "as_rate":
                    {
                        MarkToken(start);
                        if (modifiers.Conversion != TypeConversion.None)
                        {
                            FailProblem(start, modifiers.Conversion == (name.SequenceEqual("as_count") ? TypeConversion.AsCount : TypeConversion.AsRate)
                                ? $"'.{name}()' appears twice" : "a query takes one of '.as_count()' and '.as_rate()'", "one of '.as_count()' and '.as_rate()'");
                            return false;
                        }

                        modifiers = modifiers with { Conversion = name.SequenceEqual("as_count") ? TypeConversion.AsCount : TypeConversion.AsRate };
                        if (!Expect('(', "'('") || !Expect(')', "')' (as_count and as_rate take no argument)"))
                        {
                            return false;
                        }

                        break;
                    }

                    case "rollup":
                    {
                        MarkToken(start);
                        if (modifiers.Rollup is not null)
                        {
                            FailProblem(start, "'.rollup()' appears twice", "one '.rollup(method, seconds)'");
                            return false;
                        }

                        if (!Expect('(', "'('"))
                        {
                            return false;
                        }

                        SkipWhitespace();
                        int methodStart = _pos;
                        if (!TryTimeAggregation(ReadKeyword(), out TimeAggregation method) || !SeriesModifiers.IsRollupMethod(method))
                        {
                            FailAt<object>(methodStart, Math.Max(_pos, methodStart + 1), "rollup method (avg, sum, min, max, count)");
                            return false;
                        }

                        MarkToken(methodStart);
                        int seconds = 0;
                        if (!TryModifierSeconds("rollup interval", (int)(_windowMs / 1_000), out seconds) || !Expect(')', "',' and the rollup interval in seconds, or ')'"))
                        {
                            return false;
                        }

                        if (seconds != 0 && _formulaRollupSeconds != 0 && seconds != _formulaRollupSeconds)
                        {
                            FailProblem(start, $"this query rolls up over {seconds} s, an earlier query of the formula over {_formulaRollupSeconds} s", "the same rollup interval in every query of a formula that writes one");
                            return false;
                        }

                        _formulaRollupSeconds = seconds != 0 ? seconds : _formulaRollupSeconds;
                        modifiers = modifiers with { Rollup = method, RollupSeconds = seconds };
                        break;
                    }

                    case "fill":
                    {
                        MarkToken(start);
                        if (modifiers.Fill != FillMode.None)
                        {
                            FailProblem(start, "'.fill()' appears twice", "one '.fill(mode, limit)'");
                            return false;
                        }

                        if (!Expect('(', "'('"))
                        {
                            return false;
                        }

                        SkipWhitespace();
                        int modeStart = _pos;
                        FillMode mode = ReadKeyword() switch
                        {
                            "null" => FillMode.Null,
                            "zero" => FillMode.Zero,
                            "last" => FillMode.Last,
                            _ => FillMode.None,
                        };
                        if (mode == FillMode.None)
                        {
                            FailAt<object>(modeStart, Math.Max(_pos, modeStart + 1), "fill mode (null, zero, last)");
                            return false;
                        }

                        MarkToken(modeStart);
                        int limit = 0;
                        if (mode != FillMode.Null && !TryModifierSeconds("fill limit", QueryLimits.MaxFillLimitSeconds, out limit))
                        {
                            return false;
                        }

                        if (!Expect(')', mode == FillMode.Null ? "')' (fill(null) takes no limit)" : "',' and the fill limit in seconds, or ')'"))
                        {
                            return false;
                        }

                        modifiers = modifiers with { Fill = mode, FillLimitSeconds = limit };
                        break;
                    }

                    default:
                        FailAt<object>(start, Math.Max(_pos, start + 1), "modifier (as_count, as_rate, rollup, fill)");
                        return false;
                }

                written = true;
            }
        }

        // An optional ", seconds" inside a modifier: 0 when absent, else 1 … max.
        private bool TryModifierSeconds(string what, int max, out int seconds)
        {
            seconds = 0;
            int save = _pos;
            SkipWhitespace();
            if (Peek() != ',')
            {
                _pos = save;
                return true;
            }

            Consume(1);
            SkipWhitespace();
            int start = _pos;
            if (!char.IsAsciiDigit(Peek()))
            {
                Fail($"{what} in seconds");
                return false;
            }

            long value = 0;
            while (char.IsAsciiDigit(Peek()))
            {
                value = Math.Min(1_000_000_000, (value * 10) + (Peek() - '0'));
                _pos++;
            }

            MarkToken(start);
            if (value < 1 || value > max)
            {
                FailProblem(start, $"{what} {Quote(start, _pos)} s is out of range", $"a {what} of 1 to {max} s" + (what == "rollup interval" ? " (at most the window)" : string.Empty));
                return false;
            }

            seconds = (int)value;
            return true;
        }

        // One more formula node, refused past QueryLimits.MaxFormulaNodes.
        private bool CountNode(int at)
        {
            if (++_formulaNodes > QueryLimits.MaxFormulaNodes)
            {
                FailProblem(at, $"formula has more than {QueryLimits.MaxFormulaNodes} nodes", $"at most {QueryLimits.MaxFormulaNodes} queries, numbers, operators and functions");
                return false;
            }

            return true;
        }

        // One more level of parentheses or function, refused past QueryLimits.MaxFormulaDepth.
        private bool Nest(int at, int depth)
        {
            if (depth >= QueryLimits.MaxFormulaDepth)
            {
                FailProblem(at, $"formula nests deeper than {QueryLimits.MaxFormulaDepth} levels", $"at most {QueryLimits.MaxFormulaDepth} nested parentheses and functions");
                return false;
            }

            return true;
        }

        private static bool TryFunction(ReadOnlySpan<char> word, out FormulaFunction function)
        {
            switch (word)
            {
                case "abs": function = FormulaFunction.Abs; return true;
                case "log2": function = FormulaFunction.Log2; return true;
                case "log10": function = FormulaFunction.Log10; return true;
                case "default_zero": function = FormulaFunction.DefaultZero; return true;
                case "per_second": function = FormulaFunction.PerSecond; return true;
                case "per_minute": function = FormulaFunction.PerMinute; return true;
                case "diff": function = FormulaFunction.Diff; return true;
                default: function = default; return false;
            }
        }

        private CheckQuery? ParseCheck()
        {
            Consume(1);
            if (!TryCheckName(out string? checkName) || !ExpectAdjacent('"', "'\"' to close the check name"))
            {
                return null;
            }

            if (!ExpectMethod("over") || !TryFilters(')', quoted: true, out ImmutableArray<TagFilter> over))
            {
                return null;
            }

            ImmutableArray<string> groupBy = [];
            if (!Expect('.', "'.last(n)' or '.by(...)'"))
            {
                return null;
            }

            SkipWhitespace();
            int methodStart = _pos;
            ReadOnlySpan<char> method = ReadKeyword();
            if (method.SequenceEqual("by") || method.SequenceEqual("last"))
            {
                MarkToken(methodStart);
            }

            if (method.SequenceEqual("by"))
            {
                if (!Expect('(', "'('") || !TryGroupBy(')', quoted: true, out groupBy) || !ExpectMethod("last"))
                {
                    return null;
                }
            }
            else if (!method.SequenceEqual("last"))
            {
                return FailAt<CheckQuery>(methodStart, Math.Max(_pos, methodStart + 1), "'last' or 'by'");
            }
            else if (!Expect('(', "'('"))
            {
                return null;
            }

            if (!TryCheckRuns(out int last) || !Expect(')', "')'")
                || !ExpectMethod("count_by_status") || !Expect(')', "')'"))
            {
                return null;
            }

            return new CheckQuery(checkName, over, groupBy, last);
        }

        // "." ws name ws "(": one link of the check query's method chain.
        private bool ExpectMethod(string name)
        {
            if (!Expect('.', $"'.{name}'"))
            {
                return false;
            }

            SkipWhitespace();
            int start = _pos;
            if (!ReadKeyword().SequenceEqual(name))
            {
                FailAt<object>(start, Math.Max(_pos, start + 1), $"'{name}'");
                return false;
            }

            MarkToken(start);

            return Expect('(', "'('");
        }

        private bool TryWindow(string what, out long windowMs)
        {
            windowMs = 0;
            SkipWhitespace();
            int start = _pos;
            if (!_text[_pos..].StartsWith("last_"))
            {
                Fail($"{what} (last_<n>s, m, h, d or w)");
                return false;
            }

            Consume(5);
            if (!char.IsAsciiDigit(Peek()))
            {
                Fail($"{what} length digits");
                return false;
            }

            // Saturate instead of overflowing: anything past the cap is rejected below anyway.
            const long saturated = 1_000_000_000;
            long count = 0;
            while (char.IsAsciiDigit(Peek()))
            {
                count = Math.Min(saturated, (count * 10) + (Peek() - '0'));
                _pos++;
            }

            long unitMs = Peek() switch
            {
                's' => 1_000,
                'm' => 60_000,
                'h' => 3_600_000,
                'd' => 86_400_000,
                'w' => 604_800_000,
                _ => 0,
            };
            if (unitMs == 0)
            {
                Fail($"{what} unit s, m, h, d or w");
                return false;
            }

            Consume(1);
            MarkToken(start);
            windowMs = count * unitMs;
            if (windowMs < QueryLimits.MinWindowMs)
            {
                FailProblem(start, $"{what} '{Quote(start, _pos)}' is empty", $"a {what} of at least last_1s");
                return false;
            }

            if (windowMs > QueryLimits.MaxWindowMs)
            {
                string max = QueryFormatter.FormatWindow(QueryLimits.MaxWindowMs);
                FailProblem(start, $"{what} '{Quote(start, _pos)}' is longer than {max}", $"a {what} of at most {max}");
                return false;
            }

            return true;
        }

        private bool TryMetricName([NotNullWhen(true)] out string? metric)
        {
            metric = null;
            SkipWhitespace();
            int start = _pos;
            if (!QueryCharset.IsMetricStart(Peek()))
            {
                Fail("metric name");
                return false;
            }

            while (QueryCharset.IsMetricPart(Peek()))
            {
                _pos++;
            }

            if (_pos - start > QueryLimits.MaxMetricNameLength)
            {
                FailProblem(start, $"metric name is longer than {QueryLimits.MaxMetricNameLength} characters", $"a metric name of at most {QueryLimits.MaxMetricNameLength} characters");
                return false;
            }

            MarkToken(start);
            metric = new string(_text[start.._pos]);
            return true;
        }

        private bool TryCheckName([NotNullWhen(true)] out string? checkName)
        {
            checkName = null;
            int start = _pos;
            if (!QueryCharset.IsCheckNameStart(Peek()))
            {
                Fail("check name");
                return false;
            }

            while (QueryCharset.IsCheckNamePart(Peek()))
            {
                _pos++;
            }

            if (_pos - start > QueryLimits.MaxCheckNameLength)
            {
                FailProblem(start, $"check name is longer than {QueryLimits.MaxCheckNameLength} characters", $"a check name of at most {QueryLimits.MaxCheckNameLength} characters");
                return false;
            }

            MarkToken(start);
            checkName = new string(_text[start.._pos]);
            return true;
        }

        // After the opening '{' (or "over("): "*" alone, or filters separated by ',' up to the closer.
        private bool TryFilters(char closer, bool quoted, out ImmutableArray<TagFilter> filters)
        {
            filters = default;
            string closeText = $"'{closer}'";
            SkipWhitespace();
            if (quoted && !ExpectAdjacent('"', "'\"' to open a tag filter"))
            {
                return false;
            }

            if (Peek() == '*')
            {
                Consume(1);
                if (quoted && !ExpectAdjacent('"', "'\"' after '*'"))
                {
                    return false;
                }

                filters = [TagFilter.Any];
                return Expect(closer, $"{closeText} ('*' must be the only filter)");
            }

            if (!quoted)
            {
                return TryBooleanScope(closer, out filters);
            }

            var builder = ImmutableArray.CreateBuilder<TagFilter>();
            while (true)
            {
                int start = _pos;
                if (builder.Count == QueryLimits.MaxScopeFilters)
                {
                    FailProblem(start, $"scope has more than {QueryLimits.MaxScopeFilters} filters", $"at most {QueryLimits.MaxScopeFilters} filters");
                    return false;
                }

                if (!TryFilter(out TagFilter? filter) || (quoted && !ExpectAdjacent('"', "'\"' to close the tag filter")))
                {
                    return false;
                }

                builder.Add(filter);
                SkipWhitespace();
                if (Peek() == closer)
                {
                    Consume(1);
                    filters = builder.DrainToImmutable();
                    return true;
                }

                if (!Expect(',', $"',' or {closeText}"))
                {
                    return false;
                }

                SkipWhitespace();
                if (quoted && !ExpectAdjacent('"', "'\"' to open a tag filter"))
                {
                    return false;
                }
            }
        }

        // The scope's conjuncts (',' and a top-level AND both separate them); an OR or a NOT is one Boolean filter.
        private bool TryBooleanScope(char closer, out ImmutableArray<TagFilter> filters)
        {
            filters = default;
            var builder = ImmutableArray.CreateBuilder<TagFilter>();
            int leaves = 0;
            while (true)
            {
                int start = _pos;
                ScopeExpression? expression = ParseScopeOr(0, ref leaves);
                if (expression is null)
                {
                    return false;
                }

                foreach (ScopeExpression conjunct in expression.Operator == ScopeOperator.And ? expression.Operands : [expression])
                {
                    if (conjunct.Operator == ScopeOperator.Filter)
                    {
                        builder.Add(conjunct.Filter!);
                        continue;
                    }

                    if (conjunct.Depth > QueryLimits.MaxScopeDepth)
                    {
                        FailProblem(start, $"scope expression nests deeper than {QueryLimits.MaxScopeDepth} levels", $"at most {QueryLimits.MaxScopeDepth} levels of AND, OR and NOT");
                        return false;
                    }

                    builder.Add(TagFilter.Boolean(conjunct));
                }

                SkipWhitespace();
                if (Peek() == closer)
                {
                    Consume(1);
                    filters = builder.DrainToImmutable();
                    return true;
                }

                if (!Expect(',', $"',', 'AND', 'OR' or '{closer}'"))
                {
                    return false;
                }

                SkipWhitespace();
            }
        }

        // scope_or = scope_and, { ws, "OR", ws, scope_and } ;
        private ScopeExpression? ParseScopeOr(int depth, ref int leaves)
        {
            ScopeExpression? first = ParseScopeAnd(depth, ref leaves);
            List<ScopeExpression>? operands = null;
            while (first is not null && AtOperator("OR", skipWhitespace: true))
            {
                ScopeExpression? next = ParseScopeAnd(depth, ref leaves);
                if (next is null)
                {
                    return null;
                }

                (operands ??= [first]).Add(next);
            }

            return operands is null ? first : ScopeExpression.Or(operands);
        }

        // scope_and = scope_not, { ws, "AND", ws, scope_not } ;
        private ScopeExpression? ParseScopeAnd(int depth, ref int leaves)
        {
            ScopeExpression? first = ParseScopeNot(depth, ref leaves);
            List<ScopeExpression>? operands = null;
            while (first is not null && AtOperator("AND", skipWhitespace: true))
            {
                ScopeExpression? next = ParseScopeNot(depth, ref leaves);
                if (next is null)
                {
                    return null;
                }

                (operands ??= [first]).Add(next);
            }

            return operands is null ? first : ScopeExpression.And(operands);
        }

        // scope_not = "NOT", ws, scope_not | "(", ws, scope_or, ws, ")" | key [NOT] IN (...) | filter ;
        private ScopeExpression? ParseScopeNot(int depth, ref int leaves)
        {
            int start = _pos;
            bool not = AtWord("NOT");
            if (not || Peek() == '(')
            {
                if (depth >= QueryLimits.MaxScopeDepth)
                {
                    FailProblem(start, $"scope nests deeper than {QueryLimits.MaxScopeDepth} levels", $"at most {QueryLimits.MaxScopeDepth} nested parentheses and NOTs");
                    return null;
                }

                if (not)
                {
                    AtOperator("NOT", skipWhitespace: false);
                    ScopeExpression? operand = ParseScopeNot(depth + 1, ref leaves);
                    return operand is null ? null : ScopeExpression.Not(operand);
                }

                Consume(1);
                SkipWhitespace();
                ScopeExpression? inner = ParseScopeOr(depth + 1, ref leaves);
                return inner is not null && Expect(')', "')', 'AND' or 'OR'") ? inner : null;
            }

            if (!CountScopeFilter(start, ref leaves) || !TryFilter(out TagFilter? filter))
            {
                return null;
            }

            if (filter.Kind != TagFilterKind.HasKey)
            {
                return ScopeExpression.Of(filter);
            }

            int afterKey = _pos;
            bool notIn = AtOperator("NOT", skipWhitespace: true);
            if (notIn ? !AtWord("IN") : !AtOperator("IN", skipWhitespace: true))
            {
                if (notIn)
                {
                    Fail("'IN' after 'NOT' (a value list is 'key NOT IN (...)')");
                    return null;
                }

                _pos = afterKey;
                return ScopeExpression.Of(filter);
            }

            if (notIn)
            {
                AtOperator("IN", skipWhitespace: false);
            }

            leaves--;
            return TryValueList(filter.Key, notIn, ref leaves);
        }

        // After "IN": "(", values, ")". IN is an OR of the values, NOT IN an AND of their negations.
        private ScopeExpression? TryValueList(string key, bool notIn, ref int leaves)
        {
            if (!ExpectAdjacent('(', "'(' to open the value list"))
            {
                return null;
            }

            var values = new List<ScopeExpression>();
            while (true)
            {
                SkipWhitespace();
                int start = _pos;
                if (!CountScopeFilter(start, ref leaves) || !TryPattern(start, key, start, out TagFilter? value))
                {
                    return null;
                }

                values.Add(notIn ? ScopeExpression.Not(ScopeExpression.Of(value)) : ScopeExpression.Of(value));
                SkipWhitespace();
                if (Peek() == ')')
                {
                    Consume(1);
                    return notIn ? ScopeExpression.And(values) : ScopeExpression.Or(values);
                }

                if (!Expect(',', "',' or ')'"))
                {
                    return null;
                }
            }
        }

        // One more tag filter in the scope, refused past QueryLimits.MaxScopeFilters.
        private bool CountScopeFilter(int at, ref int leaves)
        {
            if (++leaves > QueryLimits.MaxScopeFilters)
            {
                FailProblem(at, $"scope has more than {QueryLimits.MaxScopeFilters} filters", $"at most {QueryLimits.MaxScopeFilters} filters");
                return false;
            }

            return true;
        }

        // Whether the text here is the capitalised word, followed by whitespace or '(' (so "OR:x" and "ORx" are tags).
        private readonly bool AtWord(string word) =>
            _text[_pos..].StartsWith(word, StringComparison.Ordinal) && Peek(word.Length) is ' ' or '\t' or '\r' or '\n' or '(';

        // Consumes whitespace, the operator word and the whitespace after it, if the word is there; otherwise moves nothing.
        private bool AtOperator(string word, bool skipWhitespace)
        {
            int save = _pos;
            if (skipWhitespace)
            {
                SkipWhitespace();
            }

            if (!AtWord(word))
            {
                _pos = save;
                return false;
            }

            int start = _pos;
            _pos += word.Length;
            MarkToken(start);
            SkipWhitespace();
            return true;
        }

        private bool TryFilter([NotNullWhen(true)] out TagFilter? filter)
        {
            filter = null;
            int start = _pos;
            bool negated = Peek() == '!';
            if (negated)
            {
                Consume(1);
            }

            int keyStart = _pos;
            if (!QueryCharset.IsTagKeyStart(Peek()))
            {
                Fail(negated ? "tag key" : "tag filter (*, key:value, !key:value, key:prefix*, key)");
                return false;
            }

            while (QueryCharset.IsTagKeyPart(Peek()))
            {
                _pos++;
            }

            int keyEnd = _pos;

            // From here on an error quotes the filter read so far, e.g. "after 'env:'".
            MarkToken(start);
            string key = new(_text[keyStart..keyEnd]);
            if (Peek() == ':')
            {
                _pos++;
                MarkToken(start);
                return TryPattern(_pos, key, keyStart, out filter, negated);
            }

            if (negated)
            {
                Fail("':' and a value (a negated filter is '!key:value')");
                return false;
            }

            if (TagFilter.IsOperatorWord(key))
            {
                FailAt<TagFilter>(keyStart, keyEnd, "tag filter (AND, OR, NOT and IN are scope operators, not tag keys)");
                return false;
            }

            if (key.Length > QueryLimits.MaxTagLength)
            {
                FailProblem(keyStart, $"tag is longer than {QueryLimits.MaxTagLength} characters", $"a tag of at most {QueryLimits.MaxTagLength} characters");
                return false;
            }

            filter = TagFilter.HasKey(key);
            return true;
        }

        // A value or pattern of `key`: exact (or `!`-negated), prefix ("web*"), or wildcard ("*-prod",
        // "web-*-1"; runs of '*' read as one). A too-long tag is reported at tagStart.
        private bool TryPattern(int valueStart, string key, int tagStart, [NotNullWhen(true)] out TagFilter? filter, bool negated = false)
        {
            filter = null;
            int firstStar = -1;
            while (QueryCharset.IsTagValuePart(Peek()) || Peek() == '*')
            {
                if (Peek() == '*' && firstStar < 0)
                {
                    firstStar = _pos;
                }

                _pos++;
            }

            if (negated && firstStar >= 0)
            {
                _pos = firstStar;
                MarkToken(tagStart - 1);
                Fail("',' or end of the filter ('!key:value' takes no wildcard; write NOT key:pattern)");
                return false;
            }

            if (_pos == valueStart)
            {
                Fail("tag value");
                return false;
            }

            string pattern = CollapseStars(_text[valueStart.._pos]);
            TagFilterKind kind = firstStar < 0 ? (negated ? TagFilterKind.NotEquals : TagFilterKind.Equals)
                : pattern.IndexOf('*', StringComparison.Ordinal) == pattern.Length - 1 ? TagFilterKind.Prefix
                : TagFilterKind.Wildcard;
            string value = kind == TagFilterKind.Prefix ? pattern[..^1] : pattern;
            if (TagFilter.TagLength(kind, key, value) > QueryLimits.MaxTagLength)
            {
                FailProblem(tagStart, $"tag is longer than {QueryLimits.MaxTagLength} characters", $"a tag of at most {QueryLimits.MaxTagLength} characters");
                return false;
            }

            MarkToken(tagStart);
            filter = TagFilter.Create(kind, key, value);
            return true;
        }

        private static string CollapseStars(ReadOnlySpan<char> text)
        {
            var chars = new char[text.Length];
            int length = 0;
            foreach (char c in text)
            {
                if (c != '*' || length == 0 || chars[length - 1] != '*')
                {
                    chars[length++] = c;
                }
            }

            return new string(chars, 0, length);
        }

        // After the opening '{' or '(': distinct tag keys separated by ',' up to the closer.
        private bool TryGroupBy(char closer, bool quoted, out ImmutableArray<string> groupBy)
        {
            groupBy = default;
            var builder = ImmutableArray.CreateBuilder<string>();
            while (true)
            {
                SkipWhitespace();
                if (quoted && !ExpectAdjacent('"', "'\"' to open a group-by tag"))
                {
                    return false;
                }

                int start = _pos;
                if (!QueryCharset.IsTagKeyStart(Peek()))
                {
                    Fail("group-by tag key");
                    return false;
                }

                while (QueryCharset.IsTagKeyPart(Peek()))
                {
                    _pos++;
                }

                ReadOnlySpan<char> key = _text[start.._pos];
                if (key.Length > QueryLimits.MaxTagLength)
                {
                    FailProblem(start, $"group-by tag is longer than {QueryLimits.MaxTagLength} characters", $"a tag key of at most {QueryLimits.MaxTagLength} characters");
                    return false;
                }

                foreach (string seen in builder)
                {
                    if (key.SequenceEqual(seen))
                    {
                        FailProblem(start, $"group-by tag '{seen}' appears twice", "distinct group-by tags");
                        return false;
                    }
                }

                if (builder.Count == QueryLimits.MaxGroupByTags)
                {
                    FailProblem(start, $"more than {QueryLimits.MaxGroupByTags} group-by tags", $"at most {QueryLimits.MaxGroupByTags} group-by tags");
                    return false;
                }

                MarkToken(start);
                builder.Add(new string(key));
                if (quoted && !ExpectAdjacent('"', "'\"' to close the group-by tag"))
                {
                    return false;
                }

                SkipWhitespace();
                if (Peek() == closer)
                {
                    Consume(1);
                    groupBy = builder.DrainToImmutable();
                    return true;
                }

                if (!Expect(',', $"',' or '{closer}'"))
                {
                    return false;
                }
            }
        }

        private bool TryComparator(out Comparator comparator)
        {
            comparator = default;
            SkipWhitespace();
            char c = Peek();
            bool orEqual = Peek(1) == '=';
            if (c is not ('>' or '<') && !(c is '=' or '!' && orEqual))
            {
                Fail("comparator");
                return false;
            }

            comparator = (c, orEqual) switch
            {
                ('>', false) => Comparator.Greater,
                ('>', true) => Comparator.GreaterOrEqual,
                ('<', false) => Comparator.Less,
                ('<', true) => Comparator.LessOrEqual,
                ('=', _) => Comparator.Equal,
                _ => Comparator.NotEqual,
            };
            Consume(orEqual ? 2 : 1);
            return true;
        }

        private bool TryNumber(string what, out double value)
        {
            value = 0;
            SkipWhitespace();
            int start = _pos;
            if (Peek() is '+' or '-')
            {
                _pos++;
            }

            int digits = SkipDigits();
            if (Peek() == '.')
            {
                _pos++;
                digits += SkipDigits();
            }

            if (digits == 0)
            {
                _pos = start;
                Fail($"{what} number");
                return false;
            }

            if (Peek() is 'e' or 'E')
            {
                _pos++;
                if (Peek() is '+' or '-')
                {
                    _pos++;
                }

                if (SkipDigits() == 0)
                {
                    Fail("exponent digits");
                    return false;
                }
            }

            MarkToken(start);

            // The span was checked to be a decimal literal above, so only range can fail here.
            bool parsed = double.TryParse(_text[start.._pos], NumberStyles.Float, CultureInfo.InvariantCulture, out value);
            Invariant.Check(parsed, "a scanned decimal literal always parses");
            if (!parsed || !double.IsFinite(value))
            {
                FailProblem(start, $"{what} is out of the range of a double", $"a finite {what}");
                return false;
            }

            return true;
        }

        private bool TryCheckRuns(out int last)
        {
            last = 0;
            SkipWhitespace();
            int start = _pos;
            if (!char.IsAsciiDigit(Peek()))
            {
                Fail("number of check runs");
                return false;
            }

            // Saturate: anything past the cap is rejected below.
            while (char.IsAsciiDigit(Peek()))
            {
                last = Math.Min(1_000_000, (last * 10) + (Peek() - '0'));
                _pos++;
            }

            MarkToken(start);
            if (last is < 1 or > QueryLimits.MaxCheckRuns)
            {
                FailProblem(start, $"last({Quote(start, _pos)}) is out of range", $"a number of check runs from 1 to {QueryLimits.MaxCheckRuns}");
                return false;
            }

            return true;
        }

        private static bool TryTimeAggregation(ReadOnlySpan<char> word, out TimeAggregation aggregation)
        {
            switch (word)
            {
                case "avg": aggregation = TimeAggregation.Avg; return true;
                case "sum": aggregation = TimeAggregation.Sum; return true;
                case "min": aggregation = TimeAggregation.Min; return true;
                case "max": aggregation = TimeAggregation.Max; return true;
                case "last": aggregation = TimeAggregation.Last; return true;
                case "count": aggregation = TimeAggregation.Count; return true;
                case "change": aggregation = TimeAggregation.Change; return true;
                case "pct_change": aggregation = TimeAggregation.PctChange; return true;
                default: aggregation = default; return false;
            }
        }

        private static bool TrySpaceAggregation(ReadOnlySpan<char> word, out SpaceAggregation aggregation)
        {
            switch (word)
            {
                case "avg": aggregation = SpaceAggregation.Avg; return true;
                case "sum": aggregation = SpaceAggregation.Sum; return true;
                case "min": aggregation = SpaceAggregation.Min; return true;
                case "max": aggregation = SpaceAggregation.Max; return true;
                default: aggregation = default; return false;
            }
        }

        // Keywords are lowercase ASCII letters and '_'; returns an empty span if none is here. The
        // caller marks the keyword as the last token once it has recognised it.
        private ReadOnlySpan<char> ReadKeyword()
        {
            int start = _pos;
            while (char.IsAsciiLetterLower(Peek()) || Peek() == '_')
            {
                _pos++;
            }

            return _text[start.._pos];
        }

        private int SkipDigits()
        {
            int start = _pos;
            while (char.IsAsciiDigit(Peek()))
            {
                _pos++;
            }

            return _pos - start;
        }

        private bool Expect(char c, string expected)
        {
            SkipWhitespace();
            return ExpectAdjacent(c, expected);
        }

        // Inside quotes no whitespace is skipped.
        private bool ExpectAdjacent(char c, string expected)
        {
            if (Peek() != c)
            {
                Fail(expected);
                return false;
            }

            Consume(1);
            return true;
        }

        private void Consume(int count)
        {
            Invariant.Check(_pos + count <= _text.Length, "consume stays inside the text");
            _lastStart = _pos;
            _pos += count;
            _lastEnd = _pos;
        }

        private void MarkToken(int start)
        {
            _lastStart = start;
            _lastEnd = _pos;
        }

        private void SkipWhitespace()
        {
            while (Peek() is ' ' or '\t' or '\r' or '\n')
            {
                _pos++;
            }
        }

        // '\0' past the end: no rule of the grammar accepts it, so the end needs no special case.
        private readonly char Peek(int ahead = 0) => _pos + ahead < _text.Length ? _text[_pos + ahead] : '\0';

        private MonitorQuery? Fail(string expected) => FailAt<MonitorQuery>(_pos, _pos + 1, expected);

        // Reports a syntax error at [position, foundEnd): what was expected and what was there.
        private T? FailAt<T>(int position, int foundEnd, string expected)
            where T : class
        {
            Invariant.Check(Error is null, "the first error is the one reported");
            string found = position >= _text.Length ? "end of query" : foundEnd - position > 1 ? $"'{Quote(position, foundEnd)}'" : Describe(_text[position]);
            string? after = _lastEnd > 0 && _lastEnd <= position ? Quote(_lastStart, _lastEnd) : null;
            Error = new QueryParseError(position, expected, found, after, problem: null);
            return null;
        }

        // Reports a well-formed but out-of-bounds piece of text starting at position.
        private void FailProblem(int position, string problem, string expected)
        {
            Invariant.Check(Error is null, "the first error is the one reported");
            string found = position >= _text.Length ? "end of query" : Describe(_text[position]);
            Error = new QueryParseError(position, expected, found, after: null, problem);
        }

        private readonly string Quote(int start, int end)
        {
            end = Math.Min(end, _text.Length);
            return end - start <= MaxQuotedLength
                ? new string(_text[start..end])
                : string.Concat(_text.Slice(start, MaxQuotedLength), "...");
        }

        // Invisible or ambiguous characters are shown by code point so the message is unambiguous.
        private static string Describe(char c) =>
            char.IsControl(c) || char.IsWhiteSpace(c) || char.IsSurrogate(c) || (c > '~' && !char.IsLetterOrDigit(c))
                ? $"U+{(int)c:X4}"
                : $"'{c}'";
    }
}
