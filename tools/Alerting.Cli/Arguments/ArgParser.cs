namespace Alerting.Cli.Arguments;

/// <summary>
/// Matches argv against the command table: the longest run of leading words that names a
/// command, then <c>--name value</c>, <c>--name=value</c>, <c>-f value</c>, flags and positionals.
/// Anything not declared by the command is a usage error.
/// </summary>
internal static class ArgParser
{
    private static readonly Dictionary<string, string> ShortNames = new(StringComparer.Ordinal) { ["-f"] = "file" };

    /// <exception cref="UsageException">No command matches, or an option or positional is wrong.</exception>
    public static ParsedCommand Parse(IReadOnlyList<string> args, IReadOnlyList<CommandSpec> commands)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(commands);
        CommandSpec spec = Match(args, commands, out int consumed);
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var flags = new HashSet<string>(StringComparer.Ordinal);
        var positionals = new List<string>();
        for (int i = consumed; i < args.Count; i++)
        {
            string arg = args[i];
            if (!arg.StartsWith('-') || arg == "-")
            {
                positionals.Add(arg);
                continue;
            }

            string name;
            string? inline = null;
            if (ShortNames.TryGetValue(arg, out string? longName))
            {
                name = longName;
            }
            else if (arg.StartsWith("--", StringComparison.Ordinal) && arg.Length > 2)
            {
                name = arg[2..];
                int eq = name.IndexOf('=', StringComparison.Ordinal);
                if (eq >= 0)
                {
                    inline = name[(eq + 1)..];
                    name = name[..eq];
                }
            }
            else
            {
                throw new UsageException($"{spec.Path}: unknown option '{arg}' (usage: {spec.Usage})");
            }

            if (spec.Flags.Contains(name))
            {
                if (inline is not null)
                {
                    throw new UsageException($"{spec.Path}: --{name} takes no value");
                }

                flags.Add(name);
            }
            else if (spec.RequiredOptions.Contains(name) || spec.ValueOptions.Contains(name) || CommandSpec.GlobalValueOptions.Contains(name))
            {
                if (inline is null && i + 1 >= args.Count)
                {
                    throw new UsageException($"{spec.Path}: --{name} needs a value (usage: {spec.Usage})");
                }

                string value = inline ?? args[++i];
                if (!values.TryAdd(name, value))
                {
                    throw new UsageException($"{spec.Path}: --{name} given twice");
                }
            }
            else
            {
                throw new UsageException($"{spec.Path}: unknown option '{arg}' (usage: {spec.Usage})");
            }
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

        return new ParsedCommand(spec, values, flags, positionals);
    }

    private static CommandSpec Match(IReadOnlyList<string> args, IReadOnlyList<CommandSpec> commands, out int consumed)
    {
        int words = 0;
        while (words < args.Count && !args[words].StartsWith('-'))
        {
            words++;
        }

        for (int take = words; take > 0; take--)
        {
            string path = string.Join(' ', args.Take(take));
            CommandSpec? spec = commands.FirstOrDefault(c => c.Path == path);
            if (spec is not null)
            {
                consumed = take;
                return spec;
            }
        }

        if (args.Count == 0 || words == 0)
        {
            throw new UsageException("missing command; run 'alertctl --help' for the list");
        }

        throw new UsageException($"unknown command '{string.Join(' ', args.Take(words))}'; run 'alertctl --help' for the list");
    }
}
