using System.CommandLine;
using System.CommandLine.Parsing;

namespace Alerting.Cli.Arguments;

/// <summary>
/// The System.CommandLine tree built from the command table: one <see cref="Command"/> per word of each
/// <see cref="CommandSpec.Path"/> (<c>monitors apply</c> is <c>apply</c> under <c>monitors</c>), its options,
/// flags and positionals, and the connection options on the root (recursive, so they go before or after the
/// command). A command added to the table is wired here with no further code. System.CommandLine tokenises,
/// matches the command, binds options and arguments, and generates help and completions; <see cref="Bind"/>
/// turns its result into a <see cref="ParsedCommand"/> and reports what is wrong in alertctl's own words.
/// </summary>
internal sealed class CommandLineTree
{
    /// <summary>The formats of <c>--output</c>, which every command with a <c>--json</c> flag takes.</summary>
    public static readonly IReadOnlyList<string> OutputFormats = ["table", "json", "yaml"];

    private static readonly Dictionary<string, string> ShortNames = new(StringComparer.Ordinal) { ["file"] = "-f" };

    private readonly Dictionary<Command, CommandSpec> _specs = [];
    private readonly Dictionary<Command, string> _paths = [];
    private readonly Dictionary<(Command, string), Option> _options = [];
    private readonly Dictionary<Command, List<Argument>> _arguments = [];
    private readonly Dictionary<string, Option> _globals = new(StringComparer.Ordinal);

    private CommandLineTree(RootCommand root) => Root = root;

    public RootCommand Root { get; }

    /// <summary>Parser settings: no response files (an argument starting with <c>@</c> is an argument) and no bundling of short options.</summary>
    public static ParserConfiguration ParserConfiguration { get; } = new() { ResponseFileTokenReplacer = null, EnablePosixBundling = false };

    /// <param name="run">The action of each command of the table, or null for a tree that only parses.</param>
    public static CommandLineTree Build(IReadOnlyList<CommandSpec> commands, Func<CommandSpec, ParseResult, CancellationToken, Task<int>>? run)
    {
        ArgumentNullException.ThrowIfNull(commands);
        var tree = new CommandLineTree(new RootCommand("alertctl - operate an Alerting server over gRPC"));
        tree._paths[tree.Root] = "";
        foreach (string name in CommandSpec.GlobalValueOptions)
        {
            var option = new Option<string[]>("--" + name)
            {
                Description = GlobalDescription(name),
                HelpName = name switch
                {
                    "server" => "URL",
                    "api-key" => "KEY",
                    _ => CommandSpec.ValueName(name),
                },
                Arity = ArgumentArity.OneOrMore,
                Recursive = true,
            };
            tree.Root.Options.Add(option);
            tree._globals.Add(name, option);
        }

        foreach (CommandSpec spec in commands)
        {
            Command command = tree.CommandAt(spec.Path);
            if (tree._specs.ContainsKey(command))
            {
                throw new InvalidOperationException($"the command table lists '{spec.Path}' twice");
            }

            tree._specs.Add(command, spec);
            command.Description = spec.Summary;
            foreach (string name in spec.RequiredOptions.Concat(spec.ValueOptions))
            {
                tree.AddOption(command, name, spec.RequiredOptions.Contains(name)).HelpName = spec.ValueNameOf(name);
            }

            foreach (string name in spec.Flags)
            {
                var flag = new Option<bool>("--" + name) { Description = FlagDescription(name), Arity = ArgumentArity.Zero };
                command.Options.Add(flag);
                tree._options.Add((command, name), flag);
            }

            if (HasOutputChoice(spec))
            {
                var output = tree.AddOption(command, "output", required: false);
                output.Description = "table (default), json (as --json) or yaml (each object as a YAML document)";
                output.CompletionSources.Add(OutputFormats.ToArray());
            }

            var arguments = new List<Argument>();
            for (int i = 0; i < spec.Positionals.Count; i++)
            {
                bool repeats = spec.LastPositionalRepeats && i == spec.Positionals.Count - 1;
                Argument argument = repeats ? new Argument<string[]>(spec.Positionals[i]) : new Argument<string>(spec.Positionals[i]);
                // Counted in Bind, to report a missing or extra one in alertctl's words.
                argument.Arity = repeats ? ArgumentArity.ZeroOrMore : ArgumentArity.ZeroOrOne;
                argument.HelpName = spec.Positionals[i].ToUpperInvariant() + (repeats ? "..." : "");
                command.Arguments.Add(argument);
                arguments.Add(argument);
            }

            tree._arguments.Add(command, arguments);
            if (run is not null)
            {
                CommandSpec captured = spec;
                command.SetAction((result, cancellation) => run(captured, result, cancellation));
            }
        }

        foreach (var (command, path) in tree._paths)
        {
            if (command != tree.Root && !tree._specs.ContainsKey(command))
            {
                command.Description = $"{path}: {string.Join(", ", command.Subcommands.Select(c => c.Name))} (alertctl {path} COMMAND --help)";
            }
        }

        return tree;
    }

    public ParseResult Parse(IReadOnlyList<string> args) => Root.Parse(args, ParserConfiguration);

    /// <summary>The command table's command that <paramref name="result"/> matched, with its values; <see cref="UsageException"/> otherwise.</summary>
    public ParsedCommand Bind(ParseResult result, IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(args);
        Command matched = result.CommandResult.Command;
        if (!_specs.TryGetValue(matched, out CommandSpec? spec))
        {
            var words = _paths[matched].Split(' ', StringSplitOptions.RemoveEmptyEntries)
                .Concat(result.UnmatchedTokens.Where(t => !t.StartsWith('-')))
                .ToList();
            throw new UsageException(words.Count == 0
                ? "missing command; run 'alertctl --help' for the list"
                : $"unknown command '{string.Join(' ', words)}'; run 'alertctl --help' for the list");
        }

        foreach (string arg in args)
        {
            if (arg.StartsWith("--", StringComparison.Ordinal) && arg.IndexOf('=', StringComparison.Ordinal) is var eq and > 2 && spec.Flags.Contains(arg[2..eq]))
            {
                throw new UsageException($"{spec.Path}: --{arg[2..eq]} takes no value");
            }
        }

        var positionals = new List<string>();
        foreach (Argument argument in _arguments[matched])
        {
            if (result.GetResult(argument) is { } bound)
            {
                positionals.AddRange(bound.Tokens.Select(t => t.Value));
            }
        }

        foreach (string token in result.UnmatchedTokens.Concat(positionals))
        {
            if (token.StartsWith('-') && token != "-")
            {
                throw new UsageException($"{spec.Path}: unknown option '{token}' (usage: {spec.Usage})");
            }
        }

        positionals.AddRange(result.UnmatchedTokens);

        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var flags = new HashSet<string>(StringComparer.Ordinal);
        var named = _options.Where(o => o.Key.Item1 == matched).Select(o => (o.Key.Item2, o.Value)).Concat(_globals.Select(g => (g.Key, g.Value)));
        foreach ((string name, Option option) in named)
        {
            if (result.GetResult(option) is not { Implicit: false } given)
            {
                continue;
            }

            if (spec.Flags.Contains(name))
            {
                flags.Add(name);
                continue;
            }

            if (given.IdentifierTokenCount > 1 || given.Tokens.Count > 1)
            {
                throw new UsageException($"{spec.Path}: --{name} given twice");
            }

            if (given.Tokens.Count == 0)
            {
                throw new UsageException($"{spec.Path}: --{name} needs a value (usage: {spec.Usage})");
            }

            values.Add(name, given.Tokens[0].Value);
        }

        bool repeated = spec.LastPositionalRepeats && positionals.Count > spec.Positionals.Count;
        if (positionals.Count != spec.Positionals.Count && !(spec.PositionalsOptional && positionals.Count == 0) && !repeated)
        {
            string detail = positionals.Count > spec.Positionals.Count
                ? $"unexpected argument '{positionals[spec.Positionals.Count]}'"
                : $"missing {spec.Positionals[positionals.Count].ToUpperInvariant()}";
            throw new UsageException($"{spec.Path}: {detail} (usage: {spec.Usage})");
        }

        foreach (string required in spec.RequiredOptions)
        {
            if (!values.ContainsKey(required))
            {
                throw new UsageException($"{spec.Path}: --{required} is required (usage: {spec.Usage})");
            }
        }

        string format = "table";
        if (HasOutputChoice(spec) && values.Remove("output", out string? output))
        {
            format = OutputFormats.Contains(output, StringComparer.Ordinal)
                ? output
                : throw new UsageException($"{spec.Path}: --output must be {string.Join(", ", OutputFormats)}, got '{output}'");
            if (format == "table" && flags.Contains("json"))
            {
                throw new UsageException($"{spec.Path}: --json and --output table contradict each other");
            }

            if (format != "table")
            {
                flags.Add("json");
            }
        }

        return new ParsedCommand(spec, values, flags, positionals) { Format = flags.Contains("json") && format == "table" ? "json" : format };
    }

    /// <summary>Commands with <c>--json</c> take <c>--output</c> too, unless they declare an option of that name themselves.</summary>
    private static bool HasOutputChoice(CommandSpec spec) =>
        spec.Flags.Contains("json") && !spec.RequiredOptions.Contains("output") && !spec.ValueOptions.Contains("output") && !spec.Flags.Contains("output");

    private static string GlobalDescription(string name) => name switch
    {
        "server" => $"server address (env {CliContext.ServerVariable}, default {CliContext.DefaultServer})",
        "api-key" => $"sent as 'authorization: Bearer KEY' (env {CliContext.ApiKeyVariable})",
        _ => name,
    };

    private static string FlagDescription(string name) => name switch
    {
        "json" => "one JSON object per line, proto field names",
        "strict" => "fields not supported yet are errors, not warnings",
        "local" => "check the file only, without asking the server",
        "dry-run" => "print the translated monitors as a monitor file instead of applying them",
        "notify-end-if-alerting" => "notify when the downtime ends while a group is still alerting",
        _ => name.Replace('-', ' '),
    };

    private Option<string[]> AddOption(Command command, string name, bool required)
    {
        var option = ShortNames.TryGetValue(name, out string? alias)
            ? new Option<string[]>("--" + name, alias)
            : new Option<string[]>("--" + name);
        // One value per occurrence; a second occurrence is reported by Bind ("given twice").
        option.Arity = ArgumentArity.OneOrMore;
        option.AllowMultipleArgumentsPerToken = false;
        option.Required = required;
        option.HelpName = CommandSpec.ValueName(name);
        command.Options.Add(option);
        _options.Add((command, name), option);
        return option;
    }

    private Command CommandAt(string path)
    {
        Command current = Root;
        string soFar = "";
        foreach (string word in path.Split(' '))
        {
            soFar = soFar.Length == 0 ? word : soFar + " " + word;
            Command? next = current.Subcommands.FirstOrDefault(c => c.Name == word);
            if (next is null)
            {
                next = new Command(word);
                current.Subcommands.Add(next);
                _paths[next] = soFar;
            }

            current = next;
        }

        return current;
    }
}
