using Alerting.Cli.Arguments;
using Alerting.Cli.Commands;
using Grpc.Core;

namespace Alerting.Cli;

/// <summary>Runs one command line: parse, dispatch, and map every failure to its exit code.</summary>
internal static class CliApp
{
    public static async Task<int> RunAsync(IReadOnlyList<string> args, CliContext context, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(context);
        if (args.Contains("--help") || args.Contains("-h") || (args.Count > 0 && args[0] == "help"))
        {
            var words = args.TakeWhile(a => !a.StartsWith('-')).Where(a => a != "help").ToList();
            await context.Output.WriteAsync(HelpText.For(words));
            return ExitCodes.Ok;
        }

        try
        {
            ParsedCommand command = ArgParser.Parse(args, CommandTable.All);
            return await command.Spec.Run(command, context, cancellation);
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
}
