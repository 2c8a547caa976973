using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using Alerting.Cli.Arguments;
using Alerting.Cli.Commands;
using Grpc.Core;

namespace Alerting.Cli;

/// <summary>
/// Runs one command line on System.CommandLine: the tree is built from <see cref="CommandTable"/>, the
/// library matches the command and runs its action, and generates help (<c>--help</c>, <c>-h</c>,
/// <c>help WORDS</c>), <c>--version</c> and completions (the <c>[suggest]</c> directive). Every failure
/// maps to its exit code.
/// </summary>
internal static class CliApp
{
    public static async Task<int> RunAsync(IReadOnlyList<string> args, CliContext context, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(context);
        args = HelpWord(args);
        CommandLineTree? tree = null;
        tree = CommandLineTree.Build(CommandTable.All, (spec, result, token) => RunCommandAsync(tree!, spec, result, args, context, token));
        HelpOption help = tree.Root.Options.OfType<HelpOption>().Single();
        help.Action = new HelpWithUsageLines((HelpAction)help.Action!);
        tree.Root.Options.OfType<VersionOption>().Single().Action = new AlertctlVersion();
        try
        {
            ParseResult result = tree.Parse(args);
            if (result.Action is null or ParseErrorAction)
            {
                // Reported in alertctl's words (and exit code 2), not as the library's error list and help.
                _ = tree.Bind(result, args);
                throw new UsageException(result.Errors.Count > 0 ? result.Errors[0].Message : "missing command; run 'alertctl --help' for the list");
            }

            var invocation = new InvocationConfiguration
            {
                Output = context.Output,
                Error = context.Error,
                EnableDefaultExceptionHandler = false,
                // Program.cs owns Ctrl+C: the first press cancels, the second ends the process.
                ProcessTerminationTimeout = null,
            };
            return await result.InvokeAsync(invocation, cancellation);
        }
        catch (UsageException e)
        {
            await context.Error.WriteLineAsync($"error: {e.Message}");
            return ExitCodes.UsageError;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // An input file that cannot be read is bad input, like a malformed one.
            await context.Error.WriteLineAsync($"error: {e.Message}");
            return ExitCodes.ValidationFailure;
        }
        catch (RpcException e) when (ServerConnection.IsConnectFailure(e))
        {
            await context.Error.WriteLineAsync($"error: cannot connect to the server: {e.Status.Detail}");
            return ExitCodes.CannotConnect;
        }
        catch (RpcException e)
        {
            await context.Error.WriteLineAsync($"error: server answered {e.StatusCode}: {e.Status.Detail}");
            return ExitCodes.ServerError;
        }
    }

    private static Task<int> RunCommandAsync(CommandLineTree tree, CommandSpec spec, ParseResult result, IReadOnlyList<string> args, CliContext context, CancellationToken cancellation)
    {
        ParsedCommand command = tree.Bind(result, args);
        context.Json.Yaml = command.Format == "yaml";
        return spec.Run(command, context, cancellation);
    }

    /// <summary><c>alertctl help monitors apply</c> is <c>alertctl monitors apply --help</c>.</summary>
    private static IReadOnlyList<string> HelpWord(IReadOnlyList<string> args) =>
        args.Count > 0 && args[0] == "help" ? [.. args.Skip(1), "--help"] : args;

    /// <summary><c>--version</c>: alertctl's own version (the library's would name the host process's entry assembly).</summary>
    private sealed class AlertctlVersion : SynchronousCommandLineAction
    {
        public override bool ClearsParseErrors => true;

        public override int Invoke(ParseResult parseResult)
        {
            var assembly = typeof(CliApp).Assembly;
            string version = assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
                .OfType<System.Reflection.AssemblyInformationalVersionAttribute>().FirstOrDefault()?.InformationalVersion
                ?? assembly.GetName().Version?.ToString() ?? "unknown";
            parseResult.InvocationConfiguration.Output.WriteLine(version);
            return ExitCodes.Ok;
        }
    }

    /// <summary>The library's help for the command, then the full usage line of each command under it, the value formats and the exit codes.</summary>
    private sealed class HelpWithUsageLines(HelpAction generated) : SynchronousCommandLineAction
    {
        public override bool ClearsParseErrors => true;

        public override int Invoke(ParseResult parseResult)
        {
            int exit = generated.Invoke(parseResult);
            var words = new List<string>();
            for (var command = parseResult.CommandResult; command.Command is not RootCommand; command = (System.CommandLine.Parsing.CommandResult)command.Parent!)
            {
                words.Insert(0, command.Command.Name);
            }

            parseResult.InvocationConfiguration.Output.Write(HelpText.For(words));
            return exit;
        }
    }
}
