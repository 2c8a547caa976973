using System.Globalization;
using System.Text;
using Alerting.Engine.Monitors;
using Alerting.Engine.Monitors.Query;
using Alerting.Engine.State;
using CsCheck;

namespace Alerting.Engine.Tests.Monitors.Query;

/// <summary>
/// The composite query language: parsing with positioned errors, the canonical formatter (round
/// trip over random trees, CsCheck prints the seed), a fuzz run, and Datadog's status rules
/// against its documented table and a recursive oracle.
/// </summary>
public sealed class CompositeQueryTests
{
    private const int Iterations = 3_000;

    private static readonly string[] Ids = ["123", "456", "789", "cpu-high", "db.lag", "env:prod", "my monitor", "say \"hi\"", "back\\slash", "a(b)"];

    /// <summary>A random expression tree of at most 8 member references over <see cref="Ids"/>.</summary>
    private static readonly Gen<CompositeNode> Expression = Gen.Int[0, int.MaxValue].Select(seed =>
    {
        var random = new Random(seed);
        var terms = 0;
        return RandomNode(random, 0, ref terms);
    });

    [Theory]
    [InlineData("123 && 456", "123 && 456")]
    [InlineData("  123&&(456||!789) ", "123 && (456 || !789)")]
    [InlineData("a || b && !c", "a || b && !c")]
    [InlineData("(a || b) && (c || d)", "(a || b) && (c || d)")]
    [InlineData("!(a && b)", "!(a && b)")]
    [InlineData("!!a", "!!a")]
    [InlineData("\"my monitor\" || cpu-high", "\"my monitor\" || cpu-high")]
    [InlineData("\"plain\"", "plain")]
    [InlineData("a && (b && c)", "a && (b && c)")]
    [InlineData("((a))", "a")]
    public void Parses_Datadog_syntax_and_formats_it_canonically(string text, string canonical)
    {
        var query = CompositeParser.Parse(text);

        Assert.Equal(canonical, QueryFormatter.Format(query));
        Assert.Equal(query, CompositeParser.Parse(canonical));
    }

    [Fact]
    public void Every_composite_example_in_the_reference_parses_and_is_canonical()
    {
        var text = File.ReadAllText(DocPath("query-language.md"));
        var start = text.IndexOf("```composite\n", StringComparison.Ordinal);
        Assert.True(start >= 0, "docs/query-language.md has a ```composite block");
        start += "```composite\n".Length;
        var examples = text[start..text.IndexOf("```", start, StringComparison.Ordinal)].Split('\n', StringSplitOptions.RemoveEmptyEntries);

        Assert.True(examples.Length >= 5, $"only {examples.Length} examples");
        foreach (var example in examples)
        {
            Assert.Equal(example, QueryFormatter.Format(CompositeParser.Parse(example)));
        }
    }

    [Fact]
    public void And_binds_tighter_than_or_and_both_group_left_to_right()
    {
        var query = CompositeParser.Parse("a || b && c || d");

        Assert.Equal(
            new CompositeOr(new CompositeOr(new CompositeMember("a"), new CompositeAnd(new CompositeMember("b"), new CompositeMember("c"))), new CompositeMember("d")),
            query.Expression);
        Assert.Equal(["a", "b", "c", "d"], query.Members.ToArray());
    }

    [Fact]
    public void Members_are_distinct_in_order_of_first_appearance() =>
        Assert.Equal(["b", "a"], CompositeParser.Parse("b && a || !b").Members.ToArray());

    [Theory]
    [InlineData("", 0, "expected monitor id")]
    [InlineData("123 &&", 6, "expected monitor id")]
    [InlineData("123 & 456", 4, "expected '&&', '||' or end of query after '123' at column 5, found '&'")]
    [InlineData("(123 || 456", 11, "expected ')' to close the '(' at column 1")]
    [InlineData("123 456", 4, "expected '&&', '||' or end of query")]
    [InlineData("\"open", 5, "expected '\"' to close the id at column 1")]
    [InlineData("\"\"", 0, "an empty monitor id at column 1")]
    [InlineData("\"a\\nb\"", 2, "the only escapes in a quoted id")]
    [InlineData("a && )", 5, "found ')'")]
    public void Errors_say_where_and_what_was_expected(string text, int position, string message)
    {
        var error = Assert.Throws<QueryParseException>(() => CompositeParser.Parse(text));

        Assert.Equal(position, error.Position);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void At_most_ten_distinct_members_as_in_Datadog()
    {
        var ten = string.Join(" && ", Enumerable.Range(1, 10).Select(i => i.ToString(CultureInfo.InvariantCulture)));
        Assert.Equal(10, CompositeParser.Parse(ten).Members.Length);

        var error = Assert.Throws<QueryParseException>(() => CompositeParser.Parse(ten + " && 11"));
        Assert.Contains("more than 10 distinct member monitors", error.Message, StringComparison.Ordinal);
        Assert.Equal(ten.Length + 4, error.Position);
    }

    [Fact]
    public void Nesting_and_references_are_bounded()
    {
        var deep = new string('!', CompositeQuery.MaxDepth) + "a";
        Assert.Contains("nested deeper", Assert.Throws<QueryParseException>(() => CompositeParser.Parse(deep)).Message, StringComparison.Ordinal);
        Assert.NotNull(CompositeParser.Parse(new string('!', CompositeQuery.MaxDepth - 1) + "a"));

        var many = string.Join(" || ", Enumerable.Repeat("a", CompositeQuery.MaxTerms + 1));
        Assert.Contains($"more than {CompositeQuery.MaxTerms} member references", Assert.Throws<QueryParseException>(() => CompositeParser.Parse(many)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parsing_the_formatted_text_gives_back_the_same_tree() =>
        Expression.Sample(
            node =>
            {
                var query = new CompositeQuery(node);
                var text = QueryFormatter.Format(query);
                Assert.True(CompositeParser.TryParse(text, out var parsed, out var error), $"'{text}' failed: {error?.Message}");
                Assert.Equal(query, parsed);
                Assert.Equal(query.GetHashCode(), parsed.GetHashCode());
                Assert.Equal(text, QueryFormatter.Format(parsed));
            },
            iter: Iterations,
            threads: 1,
            print: node => QueryFormatter.Format(new CompositeQuery(node)));

    [Fact]
    public void Fuzzed_text_either_parses_and_round_trips_or_fails_at_a_position_inside_it()
    {
        const string alphabet = "ab1 &|!()\"\\-:&|";
        var seed = int.TryParse(Environment.GetEnvironmentVariable("ALERTING_COMPOSITE_FUZZ_SEED"), CultureInfo.InvariantCulture, out var replay) ? replay : 20_261_201;
        var random = new Random(seed);
        var parsed = 0;
        for (var i = 0; i < 20_000; i++)
        {
            var text = new StringBuilder();
            for (var n = random.Next(0, 24); n > 0; n--)
            {
                text.Append(random.Next(8) == 0 ? "&& " : random.Next(8) == 0 ? "|| " : alphabet[random.Next(alphabet.Length)].ToString());
            }

            var input = text.ToString();
            if (CompositeParser.TryParse(input, out var query, out var error))
            {
                parsed++;
                Assert.True(query.Equals(CompositeParser.Parse(QueryFormatter.Format(query))), $"fuzz seed {seed} (ALERTING_COMPOSITE_FUZZ_SEED), case {i}: '{input}' does not round-trip");
            }
            else
            {
                Assert.True(error.Position >= 0 && error.Position <= input.Length, $"fuzz seed {seed}, case {i}: '{input}' failed at {error.Position}");
            }
        }

        Assert.True(parsed > 200, $"fuzz seed {seed}: only {parsed} inputs parsed");
    }

    // Datadog's table (docs "Computing trigger conditions"), minus the notify_no_data column,
    // which decides what the composite does with a NO DATA result (GroupEvaluator.EvaluateComposite).
    [Theory]
    [InlineData(AlertState.Alert, AlertState.Warn, "a && b", AlertState.Warn)]
    [InlineData(AlertState.Alert, AlertState.Warn, "a || b", AlertState.Alert)]
    [InlineData(AlertState.Alert, AlertState.Ok, "a && b", AlertState.Ok)]
    [InlineData(AlertState.Alert, AlertState.Ok, "a || b", AlertState.Alert)]
    [InlineData(AlertState.Warn, AlertState.Ok, "a && b", AlertState.Ok)]
    [InlineData(AlertState.Warn, AlertState.Ok, "a || b", AlertState.Warn)]
    [InlineData(AlertState.NoData, AlertState.Warn, "a && b", AlertState.NoData)]
    [InlineData(AlertState.NoData, AlertState.Warn, "a || b", AlertState.Warn)]
    [InlineData(AlertState.NoData, AlertState.Ok, "a && b", AlertState.Ok)]
    [InlineData(AlertState.NoData, AlertState.Ok, "a || b", AlertState.NoData)]
    [InlineData(AlertState.NoData, AlertState.NoData, "a && b", AlertState.NoData)]
    [InlineData(AlertState.NoData, AlertState.NoData, "a || b", AlertState.NoData)]
    [InlineData(AlertState.NoData, AlertState.Ok, "!a && !b", AlertState.NoData)]
    [InlineData(AlertState.Warn, AlertState.Ok, "!a || b", AlertState.Ok)]
    [InlineData(AlertState.Ok, AlertState.Ok, "!a", AlertState.Alert)]
    public void Statuses_combine_as_Datadog_documents(AlertState a, AlertState b, string expression, AlertState expected)
    {
        var program = CompositeProgram.Compile(CompositeParser.Parse(expression));
        AlertState[] states = program.Members.Length == 1 ? [a] : [a, b];

        Assert.Equal(expected, program.Evaluate(states));
    }

    [Fact]
    public void Evaluating_a_compiled_program_allocates_nothing()
    {
        var program = CompositeProgram.Compile(CompositeParser.Parse("a && (b || !c) && !(d && e)"));
        AlertState[] states = [AlertState.Alert, AlertState.Warn, AlertState.Ok, AlertState.NoData, AlertState.Ok];
        var result = AlertState.Ok;

        var bytes = AllocationProbe.SteadyBytes(() =>
        {
            for (var i = 0; i < 10_000; i++)
            {
                states[2] = (AlertState)(i & 3);
                result = program.Evaluate(states);
            }
        });

        Assert.Equal(0, bytes);
        // The last evaluation had c NO DATA: a && (WARN || NO DATA) && !(NO DATA && OK) = ALERT && WARN && ALERT.
        Assert.Equal(AlertState.Warn, result);
    }

    [Fact]
    public void The_compiled_program_agrees_with_a_recursive_oracle_on_random_trees_and_states() =>
        Gen.Select(Expression, Gen.Int[0, 3].Array[Ids.Length]).Sample(
            (node, stateBytes) =>
            {
                var query = new CompositeQuery(node);
                var stateById = new Dictionary<string, AlertState>(StringComparer.Ordinal);
                for (var i = 0; i < Ids.Length; i++)
                {
                    stateById[Ids[i]] = (AlertState)stateBytes[i];
                }

                var program = CompositeProgram.Compile(query);
                var states = program.Members.Select(id => stateById[id]).ToArray();
                Assert.Equal(Oracle(node, stateById), program.Evaluate(states));
            },
            iter: Iterations,
            threads: 1);

    /// <summary>Datadog's rules as written: alert-worthiness plus severity, by recursion on the tree.</summary>
    private static AlertState Oracle(CompositeNode node, Dictionary<string, AlertState> states)
    {
        static int Rank(AlertState s) => s switch { AlertState.Alert => 4, AlertState.Warn => 3, AlertState.NoData => 2, _ => 1 };
        switch (node)
        {
            case CompositeMember member:
                return states[member.MonitorId];
            case CompositeNot not:
                var inner = Oracle(not.Operand, states);
                return inner == AlertState.NoData ? AlertState.NoData : inner == AlertState.Ok ? AlertState.Alert : AlertState.Ok;
            case CompositeAnd and:
                var (l, r) = (Oracle(and.Left, states), Oracle(and.Right, states));
                return new[] { l, r }.MinBy(Rank);
            case CompositeOr or:
                var (ol, or2) = (Oracle(or.Left, states), Oracle(or.Right, states));
                return new[] { ol, or2 }.MaxBy(Rank);
            default:
                throw new InvalidOperationException();
        }
    }

    private static string DocPath(string name)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "docs", name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException($"docs/{name} not found above {AppContext.BaseDirectory}");
    }

    private static CompositeNode RandomNode(Random random, int depth, ref int terms)
    {
        if (depth >= 5 || terms >= 7 || random.Next(3) == 0)
        {
            terms++;
            return new CompositeMember(Ids[random.Next(Ids.Length)]);
        }

        switch (random.Next(3))
        {
            case 0:
                return new CompositeNot(RandomNode(random, depth + 1, ref terms));
            case 1:
                var left = RandomNode(random, depth + 1, ref terms);
                return new CompositeAnd(left, RandomNode(random, depth + 1, ref terms));
            default:
                var first = RandomNode(random, depth + 1, ref terms);
                return new CompositeOr(first, RandomNode(random, depth + 1, ref terms));
        }
    }
}
