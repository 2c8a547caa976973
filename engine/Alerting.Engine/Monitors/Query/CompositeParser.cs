using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace Alerting.Engine.Monitors.Query;

/// <summary>
/// Parses a composite monitor's query (Datadog syntax, with our monitor ids) into a
/// <see cref="CompositeQuery"/>. Recursive descent like <see cref="QueryParser"/>: every step
/// consumes a char or fails, the nesting is bounded by <see cref="CompositeQuery.MaxDepth"/>,
/// and errors are returned with their position, not thrown.
/// </summary>
/// <remarks>
/// Grammar (<c>ws</c> = any run of space, tab, CR, LF):
/// <code>
/// composite = ws, or, ws ;
/// or        = and, { ws, "||", ws, and } ;       (* left to right *)
/// and       = not, { ws, "&amp;&amp;", ws, not } ;       (* binds tighter than || *)
/// not       = "!", ws, not | "(", ws, or, ws, ")" | member ;
/// member    = bare_id | quoted_id ;
/// bare_id   = ( letter | digit | "_" | "-" | "." | ":" ), { same } ;   (* ASCII; Datadog's numeric ids are bare *)
/// quoted_id = '"', { any char but '"', '\' and control chars | '\"' | '\\' }, '"' ;   (* not empty *)
/// </code>
/// A monitor id that is not a bare id (it has a space, a quote, a parenthesis...) is written quoted.
/// </remarks>
public static class CompositeParser
{
    private const int MaxQuotedLength = 24;

    /// <summary>Parses a composite query, throwing on any error.</summary>
    /// <exception cref="QueryParseException">The text is not a valid composite query.</exception>
    public static CompositeQuery Parse(string text) =>
        TryParse(text, out var query, out var error) ? query : throw new QueryParseException(error);

    public static bool TryParse(string text, [NotNullWhen(true)] out CompositeQuery? query, [NotNullWhen(false)] out QueryParseError? error)
    {
        ArgumentNullException.ThrowIfNull(text);
        query = null;
        if (text.Length > QueryLimits.MaxQueryLength)
        {
            error = new QueryParseError(QueryLimits.MaxQueryLength, $"at most {QueryLimits.MaxQueryLength} characters", $"{text.Length} characters", after: null, problem: $"query is longer than {QueryLimits.MaxQueryLength} characters");
            return false;
        }

        var parser = new Parser(text);
        var expression = parser.ParseComposite();
        error = parser.Error;
        if (expression is not null)
        {
            query = new CompositeQuery(expression);
        }

        Invariant.Check((query is null) != (error is null), "exactly one of query and error is set");
        return query is not null;
    }

    /// <summary>Whether the id is written bare (else quoted).</summary>
    internal static bool IsBareId(string id)
    {
        if (id.Length == 0)
        {
            return false;
        }

        foreach (var c in id)
        {
            if (!IsBareChar(c))
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsBareChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.' or ':';

    private sealed class Parser
    {
        private readonly string _text;
        private readonly HashSet<string> _members = new(StringComparer.Ordinal);
        private int _pos;
        private int _terms;
        private int _lastStart;
        private int _lastEnd;

        public Parser(string text)
        {
            _text = text;
        }

        public QueryParseError? Error { get; private set; }

        public CompositeNode? ParseComposite()
        {
            SkipSpace();
            var node = ParseOr(1);
            if (node is null)
            {
                return null;
            }

            SkipSpace();
            return _pos == _text.Length ? node : Fail("'&&', '||' or end of query", _pos);
        }

        private CompositeNode? ParseOr(int depth)
        {
            var left = ParseAnd(depth);
            while (left is not null)
            {
                SkipSpace();
                if (!Accept("||"))
                {
                    break;
                }

                SkipSpace();
                var right = ParseAnd(depth);
                left = right is null ? null : new CompositeOr(left, right);
            }

            return left;
        }

        private CompositeNode? ParseAnd(int depth)
        {
            var left = ParseNot(depth);
            while (left is not null)
            {
                SkipSpace();
                if (!Accept("&&"))
                {
                    break;
                }

                SkipSpace();
                var right = ParseNot(depth);
                left = right is null ? null : new CompositeAnd(left, right);
            }

            return left;
        }

        private CompositeNode? ParseNot(int depth)
        {
            if (depth > CompositeQuery.MaxDepth)
            {
                return Problem($"nested deeper than {CompositeQuery.MaxDepth} levels", "a shallower expression", _pos);
            }

            var start = _pos;
            if (Accept("!"))
            {
                SkipSpace();
                var operand = ParseNot(depth + 1);
                return operand is null ? null : new CompositeNot(operand);
            }

            if (Accept("("))
            {
                SkipSpace();
                var inner = ParseOr(depth + 1);
                if (inner is null)
                {
                    return null;
                }

                SkipSpace();
                return Accept(")") ? inner : Fail($"')' to close the '(' at column {start + 1}", _pos);
            }

            return ParseMember();
        }

        private CompositeMember? ParseMember()
        {
            var start = _pos;
            string id;
            if (Peek() == '"')
            {
                var builder = new StringBuilder();
                _pos++;
                while (true)
                {
                    var c = Peek();
                    if (_pos >= _text.Length)
                    {
                        return Fail<CompositeMember>($"'\"' to close the id at column {start + 1}", _pos);
                    }

                    if (c == '"')
                    {
                        _pos++;
                        break;
                    }

                    if (c == '\\')
                    {
                        var escaped = _pos + 1 < _text.Length ? _text[_pos + 1] : '\0';
                        if (escaped is not ('"' or '\\'))
                        {
                            return Fail<CompositeMember>("'\\\"' or '\\\\' (the only escapes in a quoted id)", _pos);
                        }

                        builder.Append(escaped);
                        _pos += 2;
                        continue;
                    }

                    if (char.IsControl(c))
                    {
                        return Fail<CompositeMember>("a monitor id without control characters", _pos);
                    }

                    builder.Append(c);
                    _pos++;
                }

                id = builder.ToString();
                if (id.Length == 0)
                {
                    return Problem<CompositeMember>("an empty monitor id", "a monitor id", start);
                }
            }
            else
            {
                while (_pos < _text.Length && IsBareChar(_text[_pos]))
                {
                    _pos++;
                }

                if (_pos == start)
                {
                    return Fail<CompositeMember>("monitor id (bare like 123 or cpu-high, or quoted like \"my monitor\"), '!' or '('", start);
                }

                id = _text[start.._pos];
            }

            if (id.Length > MonitorCompiler.MaxIdLength)
            {
                return Problem<CompositeMember>($"a monitor id longer than {MonitorCompiler.MaxIdLength} characters", "a shorter monitor id", start);
            }

            if (++_terms > CompositeQuery.MaxTerms)
            {
                return Problem<CompositeMember>($"more than {CompositeQuery.MaxTerms} member references", "a shorter expression", start);
            }

            if (_members.Add(id) && _members.Count > CompositeQuery.MaxMembers)
            {
                return Problem<CompositeMember>($"more than {CompositeQuery.MaxMembers} distinct member monitors (Datadog's limit)", "one of the monitors already named", start);
            }

            _lastStart = start;
            _lastEnd = _pos;
            return new CompositeMember(id);
        }

        private bool Accept(string token)
        {
            if (string.CompareOrdinal(_text, _pos, token, 0, token.Length) != 0)
            {
                return false;
            }

            _lastStart = _pos;
            _pos += token.Length;
            _lastEnd = _pos;
            return true;
        }

        private void SkipSpace()
        {
            while (_pos < _text.Length && _text[_pos] is ' ' or '\t' or '\r' or '\n')
            {
                _pos++;
            }
        }

        private char Peek() => _pos < _text.Length ? _text[_pos] : '\0';

        private CompositeNode? Fail(string expected, int position) => Fail<CompositeNode>(expected, position);

        private T? Fail<T>(string expected, int position)
            where T : class
        {
            Invariant.Check(Error is null, "the first error is the one reported");
            var found = position >= _text.Length ? "end of query" : Describe(_text[position]);
            var after = _lastEnd > 0 && _lastEnd <= position ? Quote(_lastStart, _lastEnd) : null;
            Error = new QueryParseError(position, expected, found, after, problem: null);
            return null;
        }

        private CompositeNode? Problem(string problem, string expected, int position) => Problem<CompositeNode>(problem, expected, position);

        private T? Problem<T>(string problem, string expected, int position)
            where T : class
        {
            Invariant.Check(Error is null, "the first error is the one reported");
            var found = position >= _text.Length ? "end of query" : Describe(_text[position]);
            Error = new QueryParseError(position, expected, found, after: null, problem);
            return null;
        }

        private string Quote(int start, int end) =>
            end - start <= MaxQuotedLength ? _text[start..end] : string.Concat(_text.AsSpan(start, MaxQuotedLength), "...");

        private static string Describe(char c) =>
            char.IsControl(c) || char.IsWhiteSpace(c) || char.IsSurrogate(c) || (c > '~' && !char.IsLetterOrDigit(c))
                ? $"U+{(int)c:X4}"
                : $"'{c}'";
    }
}
