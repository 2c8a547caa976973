using Alerting.Cli.Arguments;
using Alerting.Cli.Output;
using Spectre.Console;

namespace Alerting.Cli;

/// <summary>What a command may touch: the console streams, the clock, the environment and the server connection settings.</summary>
/// <param name="progressTerminal">stderr when it is a terminal, for progress displays; null: none are drawn.</param>
internal sealed class CliContext(IAnsiConsole console, TextWriter stdout, TextWriter stderr, TextReader stdin, TimeProvider time, Func<string, string?> environment, TextWriter? progressTerminal = null)
{
    public const string DefaultServer = "http://127.0.0.1:7700";
    public const string ServerVariable = "ALERTING_SERVER";
    public const string ApiKeyVariable = "ALERTING_API_KEY";
    public const string NodesVariable = "ALERTING_NODES";

    /// <summary>Line width of human output sent to a pipe or file: wide enough that no line is ever wrapped.</summary>
    public const int RedirectedOutputWidth = 32_767;

    /// <summary>Human output: tables and markup.</summary>
    public IAnsiConsole Console { get; } = console;

    /// <summary>Plain text output that must not be wrapped to a console width (help).</summary>
    public TextWriter Output { get; } = stdout;

    /// <summary>Machine output: JSON lines.</summary>
    public JsonLines Json { get; } = new(stdout);

    public TextWriter Error { get; } = stderr;

    public TextReader Input { get; } = stdin;

    public TimeProvider Time { get; } = time;

    /// <summary>Progress of long operations, drawn on stderr only when it is a terminal.</summary>
    public ProgressDisplay Progress { get; } = new(progressTerminal, time);

    public long NowUnixMs => Time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>Opens a channel to the server named by <c>--server</c>, <c>ALERTING_SERVER</c> or the default.</summary>
    public ServerConnection Connect(ParsedCommand command)
    {
        ArgumentNullException.ThrowIfNull(command);
        string server = command.Value("server") ?? NonEmpty(environment(ServerVariable)) ?? DefaultServer;
        string? apiKey = command.Value("api-key") ?? NonEmpty(environment(ApiKeyVariable));
        return ServerConnection.Open(server, apiKey);
    }

    /// <summary>
    /// The cluster's node addresses: <c>--nodes a,b,c</c>, else the one <c>--server</c>, else
    /// <c>ALERTING_NODES</c>, else <c>ALERTING_SERVER</c> or the default server.
    /// </summary>
    /// <exception cref="UsageException">An address is not an http or https URL, or there are too many.</exception>
    public IReadOnlyList<Uri> Nodes(ParsedCommand command)
    {
        ArgumentNullException.ThrowIfNull(command);
        // Flags before the environment: an explicit --server is not overridden by ALERTING_NODES.
        string list = command.Value("nodes") ?? command.Value("server") ?? NonEmpty(environment(NodesVariable)) ?? NonEmpty(environment(ServerVariable)) ?? DefaultServer;
        IReadOnlyList<Uri> nodes;
        try
        {
            nodes = Client.AlertingWriterOptions.ParseNodes(list);
        }
        catch (ArgumentException e)
        {
            throw new UsageException($"--nodes (or {NodesVariable}): {e.Message.Split(" (Parameter", 2)[0]}");
        }

        if (nodes.Count is 0 or > Client.AlertingWriterOptions.MaxNodes)
        {
            throw new UsageException($"--nodes (or {NodesVariable}): give 1 to {Client.AlertingWriterOptions.MaxNodes} comma-separated node addresses, got {nodes.Count}");
        }

        return nodes;
    }

    /// <summary>The API key from <c>--api-key</c> or <c>ALERTING_API_KEY</c>, or null.</summary>
    public string? ApiKey(ParsedCommand command)
    {
        ArgumentNullException.ThrowIfNull(command);
        return command.Value("api-key") ?? NonEmpty(environment(ApiKeyVariable));
    }

    private static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}
