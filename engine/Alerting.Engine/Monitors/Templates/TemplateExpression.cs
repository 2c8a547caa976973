using System.Collections.Frozen;
using System.Globalization;

namespace Alerting.Engine.Monitors.Templates;

/// <summary>
/// The arithmetic of <c>{{eval "…"}}</c> (Datadog's template variable evaluation), compiled once into
/// a postfix program over the numeric variables. Grammar, loosest first:
/// <c>sum := product (('+'|'-') product)*</c>, <c>product := unary (('*'|'/'|'%') unary)*</c>,
/// <c>unary := '-' unary | power</c>, <c>power := atom ('^' unary)?</c> (right-associative),
/// <c>atom := number | variable | function '(' sum (',' sum)* ')' | '(' sum ')'</c>.
/// Evaluation runs on a stack of at most <see cref="MaxOperations"/> doubles on the thread's stack:
/// no allocation and a bounded number of steps per render.
/// </summary>
internal sealed class TemplateExpression
{
    /// <summary>Longest expression text, in chars.</summary>
    public const int MaxLength = 256;

    /// <summary>Most operations (numbers, variables, operators, calls) of one expression; also the stack bound.</summary>
    public const int MaxOperations = 64;

    /// <summary>Deepest nesting of parentheses and calls, which bounds the parser's recursion.</summary>
    public const int MaxDepth = 16;

    private static readonly FrozenDictionary<string, TemplateVariable> NumericVariables = new Dictionary<string, TemplateVariable>(StringComparer.Ordinal)
    {
        ["value"] = TemplateVariable.Value,
        ["threshold"] = TemplateVariable.Threshold,
        ["warn_threshold"] = TemplateVariable.WarnThreshold,
        ["ok_threshold"] = TemplateVariable.OkThreshold,
        ["last_triggered_at_epoch"] = TemplateVariable.LastTriggeredAtEpoch,
    }.ToFrozenDictionary(StringComparer.Ordinal);

    // Name → (function, fewest arguments, most arguments).
    private static readonly FrozenDictionary<string, (Function Function, int Min, int Max)> Functions = new Dictionary<string, (Function, int, int)>(StringComparer.Ordinal)
    {
        ["abs"] = (Function.Abs, 1, 1),
        ["ceil"] = (Function.Ceil, 1, 1),
        ["floor"] = (Function.Floor, 1, 1),
        ["int"] = (Function.Trunc, 1, 1),
        ["trunc"] = (Function.Trunc, 1, 1),
        ["round"] = (Function.Round, 1, 2),
        ["sqrt"] = (Function.Sqrt, 1, 1),
        ["exp"] = (Function.Exp, 1, 1),
        ["log"] = (Function.Log, 1, 1),
        ["log2"] = (Function.Log2, 1, 1),
        ["log10"] = (Function.Log10, 1, 1),
        ["min"] = (Function.Min, 2, 2),
        ["max"] = (Function.Max, 2, 2),
    }.ToFrozenDictionary(StringComparer.Ordinal);

    public static readonly string VariableHint =
        $"eval reads {string.Join(", ", NumericVariables.Keys.Order(StringComparer.Ordinal))}";

    public static readonly string FunctionHint =
        $"functions are {string.Join(", ", Functions.Keys.Order(StringComparer.Ordinal))}";

    private readonly Operation[] _program;

    private TemplateExpression(string text, Operation[] program, int maxStack)
    {
        Text = text;
        _program = program;
        MaxStack = maxStack;
    }

    /// <summary>The expression as written.</summary>
    public string Text { get; }

    /// <summary>Most values on the stack at once while evaluating.</summary>
    public int MaxStack { get; }

    /// <summary>
    /// Compiles <paramref name="text"/>, found at <paramref name="offset"/> of the template, or says where (in the
    /// template) and why it is not an expression.
    /// </summary>
    public static TemplateParseError? TryCompile(string text, int offset, out TemplateExpression? expression)
    {
        expression = null;
        if (text.Length > MaxLength)
        {
            return new TemplateParseError(offset + MaxLength, $"eval expression longer than {MaxLength} characters");
        }

        var parser = new Parser(text, offset);
        TemplateParseError? error = parser.ParseSum(0);
        if (error is null && parser.SkipSpaces() < text.Length)
        {
            error = parser.Error(parser.At, $"unexpected {Describe(text[parser.At])} in eval expression", "expected an operator (+ - * / % ^) or the end of the expression");
        }

        if (error is not null)
        {
            return error;
        }

        // Stack depth: every value pushes one, every operator pops its operands and pushes one.
        int depth = 0;
        int max = 0;
        foreach (Operation op in parser.Program)
        {
            depth += 1 - op.Operands;
            max = Math.Max(max, depth);
        }

        Invariant.Check(depth == 1, "a compiled eval expression leaves one value");
        expression = new TemplateExpression(text, [.. parser.Program], max);
        return null;
    }

    /// <summary>The value of the expression in <paramref name="context"/>; NaN when a variable it reads has no value.</summary>
    public double Evaluate(in TemplateContext context)
    {
        Span<double> stack = stackalloc double[MaxOperations];
        int top = 0;
        foreach (Operation op in _program)
        {
            switch (op.Kind)
            {
                case OperationKind.Number:
                    stack[top++] = op.Number;
                    break;
                case OperationKind.Variable:
                    stack[top++] = MessageTemplate.NumberOf(op.Variable, context);
                    break;
                case OperationKind.Negate:
                    stack[top - 1] = -stack[top - 1];
                    break;
                case OperationKind.Binary:
                    top--;
                    stack[top - 1] = Apply(op.Operator, stack[top - 1], stack[top]);
                    break;
                default:
                    Invariant.Check(op.Kind == OperationKind.Call, "an eval operation is a number, variable, negation, operator or call");
                    top -= op.Operands;
                    stack[top] = Call(op.Function, stack[top], op.Operands > 1 ? stack[top + 1] : double.NaN, op.Operands);
                    top++;
                    break;
            }
        }

        return stack[0];
    }

    private static double Apply(char op, double left, double right) => op switch
    {
        '+' => left + right,
        '-' => left - right,
        '*' => left * right,
        '/' => left / right,
        '%' => left % right,
        '^' => Math.Pow(left, right),
        _ => throw new InvariantViolationException($"eval operator '{op}' has no meaning"),
    };

    private static double Call(Function function, double x, double y, int arguments) => function switch
    {
        Function.Abs => Math.Abs(x),
        Function.Ceil => Math.Ceiling(x),
        Function.Floor => Math.Floor(x),
        Function.Trunc => Math.Truncate(x),
        Function.Round when arguments == 1 => Math.Round(x, MidpointRounding.AwayFromZero),
        Function.Round => RoundTo(x, y),
        Function.Sqrt => Math.Sqrt(x),
        Function.Exp => Math.Exp(x),
        Function.Log => Math.Log(x),
        Function.Log2 => Math.Log2(x),
        Function.Log10 => Math.Log10(x),
        Function.Min => Math.Min(x, y),
        Function.Max => Math.Max(x, y),
        _ => throw new InvariantViolationException($"eval function {function} has no meaning"),
    };

    // round(x, n): n decimals, 0 to 15 (a double holds no more); a NaN or out-of-range n gives no value.
    private static double RoundTo(double x, double digits) =>
        digits is >= 0 and <= 15 && digits == Math.Floor(digits)
            ? Math.Round(x, (int)digits, MidpointRounding.AwayFromZero)
            : double.NaN;

    private static string Describe(char c) =>
        c is >= ' ' and <= '~' ? $"'{c}'" : $"U+{(int)c:X4}";

    private enum OperationKind : byte
    {
        Number,
        Variable,
        Negate,
        Binary,
        Call,
    }

    private enum Function : byte
    {
        Abs,
        Ceil,
        Floor,
        Trunc,
        Round,
        Sqrt,
        Exp,
        Log,
        Log2,
        Log10,
        Min,
        Max,
    }

    private readonly record struct Operation(OperationKind Kind, double Number, TemplateVariable Variable, char Operator, Function Function, int Operands);

    private sealed class Parser(string text, int offset)
    {
        public List<Operation> Program { get; } = [];

        public int At { get; private set; }

        public int SkipSpaces()
        {
            while (At < text.Length && char.IsWhiteSpace(text[At]))
            {
                At++;
            }

            return At;
        }

        public TemplateParseError Error(int at, string problem, string? hint = null) => new(offset + at, problem, hint);

        public TemplateParseError? ParseSum(int depth)
        {
            TemplateParseError? error = ParseProduct(depth);
            while (error is null && SkipSpaces() < text.Length && text[At] is '+' or '-')
            {
                char op = text[At++];
                error = ParseProduct(depth) ?? Emit(new Operation(OperationKind.Binary, 0, default, op, default, 2));
            }

            return error;
        }

        private TemplateParseError? ParseProduct(int depth)
        {
            TemplateParseError? error = ParseUnary(depth);
            while (error is null && SkipSpaces() < text.Length && text[At] is '*' or '/' or '%')
            {
                char op = text[At++];
                error = ParseUnary(depth) ?? Emit(new Operation(OperationKind.Binary, 0, default, op, default, 2));
            }

            return error;
        }

        private TemplateParseError? ParseUnary(int depth)
        {
            if (SkipSpaces() < text.Length && text[At] == '-')
            {
                if (depth >= MaxDepth)
                {
                    return Error(At, $"eval expression nested deeper than {MaxDepth}");
                }

                At++;
                return ParseUnary(depth + 1) ?? Emit(new Operation(OperationKind.Negate, 0, default, '-', default, 1));
            }

            TemplateParseError? error = ParseAtom(depth);
            if (error is null && SkipSpaces() < text.Length && text[At] == '^')
            {
                if (depth >= MaxDepth)
                {
                    return Error(At, $"eval expression nested deeper than {MaxDepth}");
                }

                At++;
                error = ParseUnary(depth + 1) ?? Emit(new Operation(OperationKind.Binary, 0, default, '^', default, 2));
            }

            return error;
        }

        private TemplateParseError? ParseAtom(int depth)
        {
            if (SkipSpaces() >= text.Length)
            {
                return Error(At, "eval expression ends where a number, variable or '(' was expected");
            }

            int start = At;
            char c = text[At];
            if (c == '(')
            {
                if (depth >= MaxDepth)
                {
                    return Error(At, $"eval expression nested deeper than {MaxDepth}");
                }

                At++;
                return ParseSum(depth + 1) ?? Expect(')', start);
            }

            if (char.IsAsciiDigit(c) || c == '.')
            {
                while (At < text.Length && (char.IsAsciiDigit(text[At]) || text[At] == '.'))
                {
                    At++;
                }

                // An exponent (1e6, 2.5E-3) belongs to the number.
                if (At < text.Length && text[At] is 'e' or 'E')
                {
                    int mark = At++;
                    if (At < text.Length && text[At] is '+' or '-')
                    {
                        At++;
                    }

                    if (At >= text.Length || !char.IsAsciiDigit(text[At]))
                    {
                        At = mark;
                    }

                    while (At < text.Length && char.IsAsciiDigit(text[At]))
                    {
                        At++;
                    }
                }

                if (!double.TryParse(text.AsSpan(start, At - start), NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent, CultureInfo.InvariantCulture, out double number))
                {
                    return Error(start, $"'{text[start..At]}' is not a number in eval expression");
                }

                return Emit(new Operation(OperationKind.Number, number, default, default, default, 0));
            }

            if (!char.IsAsciiLetter(c) && c != '_')
            {
                return Error(At, $"unexpected {Describe(c)} in eval expression", "expected a number, a variable, a function or '('");
            }

            while (At < text.Length && (char.IsAsciiLetterOrDigit(text[At]) || text[At] is '_' or '.'))
            {
                At++;
            }

            string name = text[start..At];
            if (SkipSpaces() < text.Length && text[At] == '(')
            {
                if (!Functions.TryGetValue(name, out var function))
                {
                    return Error(start, $"unknown eval function '{name}'", FunctionHint);
                }

                if (depth >= MaxDepth)
                {
                    return Error(At, $"eval expression nested deeper than {MaxDepth}");
                }

                int open = At++;
                int arguments = 0;
                while (true)
                {
                    TemplateParseError? error = ParseSum(depth + 1);
                    if (error is not null)
                    {
                        return error;
                    }

                    arguments++;
                    if (SkipSpaces() < text.Length && text[At] == ',')
                    {
                        At++;
                        continue;
                    }

                    error = Expect(')', open);
                    if (error is not null)
                    {
                        return error;
                    }

                    break;
                }

                if (arguments < function.Min || arguments > function.Max)
                {
                    string count = function.Min == function.Max ? $"{function.Min}" : $"{function.Min} or {function.Max}";
                    return Error(start, $"eval function '{name}' takes {count} argument{(function.Max == 1 ? "" : "s")}, was given {arguments}");
                }

                return Emit(new Operation(OperationKind.Call, 0, default, default, function.Function, arguments));
            }

            if (!NumericVariables.TryGetValue(name, out TemplateVariable variable))
            {
                return Functions.ContainsKey(name)
                    ? Error(start, $"eval function '{name}' needs its arguments in parentheses")
                    : Error(start, $"unknown eval variable '{name}'", VariableHint);
            }

            return Emit(new Operation(OperationKind.Variable, 0, variable, default, default, 0));
        }

        private TemplateParseError? Expect(char close, int openedAt)
        {
            if (SkipSpaces() < text.Length && text[At] == close)
            {
                At++;
                return null;
            }

            return At < text.Length
                ? Error(At, $"unexpected {Describe(text[At])} in eval expression", $"expected '{close}' closing the '(' at column {offset + openedAt + 1}")
                : Error(At, $"unclosed '(' in eval expression", $"expected '{close}' closing the '(' at column {offset + openedAt + 1}");
        }

        private TemplateParseError? Emit(Operation operation)
        {
            if (Program.Count == MaxOperations)
            {
                return Error(At, $"eval expression has more than {MaxOperations} operations");
            }

            Program.Add(operation);
            return null;
        }
    }
}
