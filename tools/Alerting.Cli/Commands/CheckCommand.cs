using Alerting.Cli.Arguments;
using Alerting.Cli.Files;
using Alerting.Protocol.Log;
using Alerting.Protocol.V1;

namespace Alerting.Cli.Commands;

/// <summary>
/// <c>alertctl check</c>: writes service check runs, either one from the command line
/// (<c>check NAME STATUS --tags k:v,... [--message M]</c>) or one per line of a file or stdin
/// (<c>check -f FILE</c>, <see cref="CheckRunLine"/>). Runs go through the same writer as
/// <c>alertctl write</c>, so batches are retried safely across <c>--nodes</c>.
/// </summary>
internal static class CheckCommand
{
    public static async Task<int> RunAsync(ParsedCommand command, CliContext context, CancellationToken cancellation)
    {
        string? path = command.Value("file");
        if (path is not null)
        {
            if (command.Positionals.Count > 0 || command.Value("tags") is not null || command.Value("message") is not null)
            {
                throw new UsageException($"check: give either NAME STATUS [--tags ...] [--message ...] or -f FILE, not both (usage: {command.Spec.Usage})");
            }

            if (path != "-" && !File.Exists(path))
            {
                await context.Error.WriteLineAsync($"{path}: file not found");
                return ExitCodes.ValidationFailure;
            }

            using StreamReader? file = path == "-" ? null : new StreamReader(path);
            var reader = new CheckRunReader(file is null ? "<stdin>" : path, file ?? context.Input, () => context.NowUnixMs);
            return await WriteCommand.SendAsync(command, context, reader.Batches(), reader.Errors, cancellation);
        }

        if (command.Positionals.Count != 2)
        {
            throw new UsageException($"check: give NAME STATUS, or -f FILE (usage: {command.Spec.Usage})");
        }

        var run = new CheckRunInput { Check = command.Positionals[0], UnixMs = context.NowUnixMs, Message = command.Value("message") ?? "" };
        if (!CheckRunLine.TryParseStatus(command.Positionals[1], out CheckStatus status, out string error))
        {
            throw new UsageException($"check: {error}");
        }

        run.Status = status;
        if (command.Value("tags") is { } tags && !CheckRunLine.TryAddTags(tags, run, out error))
        {
            throw new UsageException($"check: --tags: {error}");
        }

        return await WriteCommand.SendAsync(command, context, [new WriteRequest { BatchId = 1, CheckRuns = { run } }], [], cancellation);
    }
}
