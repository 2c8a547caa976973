namespace Alerting.Cli.Arguments;

/// <summary>A command line matched against its <see cref="CommandSpec"/>.</summary>
internal sealed class ParsedCommand(CommandSpec spec, IReadOnlyDictionary<string, string> values, IReadOnlySet<string> flags, IReadOnlyList<string> positionals)
{
    public CommandSpec Spec { get; } = spec;

    public IReadOnlyList<string> Positionals { get; } = positionals;

    public bool Json => flags.Contains("json");

    /// <summary><c>table</c>, <c>json</c> (<c>--json</c> or <c>--output json</c>) or <c>yaml</c> (<c>--output yaml</c>; <see cref="Json"/> is then true too).</summary>
    public string Format { get; init; } = "table";

    public bool HasFlag(string name) => flags.Contains(name);

    public string? Value(string name) => values.TryGetValue(name, out string? value) ? value : null;

    public string Required(string name) =>
        Value(name) ?? throw new UsageException($"{Spec.Path}: --{name} is required (usage: {Spec.Usage})");
}
