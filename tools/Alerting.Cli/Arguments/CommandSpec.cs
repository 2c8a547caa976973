namespace Alerting.Cli.Arguments;

/// <summary>
/// One command: its words (<c>monitors apply</c>), the options it takes (names without dashes;
/// <paramref name="RequiredOptions"/> must be given, <paramref name="ValueOptions"/> may be),
/// its positional arguments, and the handler that runs it.
/// </summary>
internal sealed record CommandSpec(
    string Path,
    string Summary,
    IReadOnlyList<string> RequiredOptions,
    IReadOnlyList<string> ValueOptions,
    IReadOnlyList<string> Flags,
    IReadOnlyList<string> Positionals,
    Func<ParsedCommand, CliContext, CancellationToken, Task<int>> Run)
{
    /// <summary>Options every command accepts.</summary>
    public static readonly IReadOnlyList<string> GlobalValueOptions = ["server", "api-key"];

    /// <summary>When true the positionals are all given or none (the command then reads them from an option, e.g. <c>-f</c>).</summary>
    public bool PositionalsOptional { get; init; }

    /// <summary>When true the last positional takes one or more values (<c>FILE...</c>).</summary>
    public bool LastPositionalRepeats { get; init; }

    /// <summary>Placeholders of this command's option values where they differ from <see cref="ValueName"/> (<c>--from TIME</c>, not INDEX).</summary>
    public IReadOnlyDictionary<string, string> ValueNames { get; init; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>The placeholder of <paramref name="option"/>'s value for this command.</summary>
    public string ValueNameOf(string option) => ValueNames.TryGetValue(option, out string? name) ? name : ValueName(option);

    public string Usage
    {
        get
        {
            var parts = new List<string> { "alertctl", Path };
            string positionals = string.Join(' ', Positionals.Select(p => p.ToUpperInvariant())) + (LastPositionalRepeats ? "..." : "");
            if (positionals.Length > 0)
            {
                parts.Add(PositionalsOptional ? $"[{positionals}]" : positionals);
            }

            parts.AddRange(RequiredOptions.Select(o => $"--{o} {ValueNameOf(o)}"));
            parts.AddRange(ValueOptions.Select(o => $"[--{o} {ValueNameOf(o)}]"));
            parts.AddRange(Flags.Select(f => $"[--{f}]"));
            return string.Join(' ', parts);
        }
    }

    /// <summary>The placeholder of an option's value in usage lines and help.</summary>
    public static string ValueName(string option) => option switch
    {
        "file" => "FILE",
        "since" or "duration" or "timeout" or "deadline" => "DURATION",
        "nodes" => "URL,URL,...",
        "start" or "end" => "TIME",
        "from" => "INDEX",
        "recurrence" => "\"weekly days=mon,fri start=22:00 duration=4h\"",
        "scope" or "tags" => "TAG:VALUE,...",
        "output" => "table|json|yaml",
        _ => option.ToUpperInvariant(),
    };
}
