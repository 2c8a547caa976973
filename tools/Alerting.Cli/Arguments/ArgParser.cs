namespace Alerting.Cli.Arguments;

/// <summary>
/// Matches argv against the command table through System.CommandLine (<see cref="CommandLineTree"/>):
/// the command's words, then <c>--name value</c>, <c>--name=value</c>, <c>-f value</c>, flags and
/// positionals; <c>--server</c> and <c>--api-key</c> before or after the command. Anything not declared
/// by the command is a usage error.
/// </summary>
internal static class ArgParser
{
    /// <exception cref="UsageException">No command matches, or an option or positional is wrong.</exception>
    public static ParsedCommand Parse(IReadOnlyList<string> args, IReadOnlyList<CommandSpec> commands)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(commands);
        var tree = CommandLineTree.Build(commands, run: null);
        return tree.Bind(tree.Parse(args), args);
    }
}
