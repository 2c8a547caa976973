using Alerting.Cli.Arguments;
using Alerting.Cli.Files;
using Alerting.Client;
using Alerting.Protocol.V1;
using Grpc.Core;
using Spectre.Console;

namespace Alerting.Cli.Commands;

/// <summary>
/// <c>alertctl write</c>: sends point lines in batches through an <see cref="AlertingWriter"/>
/// (client id and sequence, so a retried batch is applied once; it follows the primary across
/// <c>--nodes</c>) and sums the acks. Malformed lines are reported with their line number and skipped; any makes the exit
/// code 1 once the good points are written.
/// </summary>
internal static class WriteCommand
{
    /// <summary>Default bound on each batch's write, retries included (<c>--deadline</c>).</summary>
    public static readonly TimeSpan DefaultDeadline = TimeSpan.FromSeconds(10);

    /// <summary>Malformed lines printed one by one; beyond this only their count is given.</summary>
    public const int MaxReportedLineErrors = 20;

    public static async Task<int> RunAsync(ParsedCommand command, CliContext context, CancellationToken cancellation)
    {
        string path = command.Value("file") ?? "-";
        if (path != "-" && !File.Exists(path))
        {
            await context.Error.WriteLineAsync($"{path}: file not found");
            return ExitCodes.ValidationFailure;
        }

        using StreamReader? file = path == "-" ? null : new StreamReader(path);
        var reader = new PointReader(file is null ? "<stdin>" : path, file ?? context.Input, () => context.NowUnixMs);
        Func<string>? position = file is null ? null : () => $"({100 * file.BaseStream.Position / Math.Max(1, file.BaseStream.Length)}% of {path})";
        return await SendAsync(command, context, reader.Batches(), reader.Errors, cancellation, position);
    }

    /// <summary>
    /// Writes <paramref name="batches"/> through an <see cref="AlertingWriter"/> (<c>--nodes</c>, <c>--deadline</c>),
    /// then prints the malformed lines collected in <paramref name="lineErrors"/> while they were read and the summed ack.
    /// Exit 1 when any line was malformed, once the good ones are written. A progress line (points written,
    /// and <paramref name="position"/>, how far into the input) is drawn on stderr when it is a terminal.
    /// </summary>
    public static async Task<int> SendAsync(ParsedCommand command, CliContext context, IEnumerable<WriteRequest> batches, IReadOnlyList<FileError> lineErrors, CancellationToken cancellation, Func<string>? position = null)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(batches);
        ArgumentNullException.ThrowIfNull(lineErrors);
        TimeSpan deadline = DefaultDeadline;
        if (command.Value("deadline") is { } text)
        {
            if (!DurationText.TryParseMs(text, out long ms, out string error) || ms <= 0)
            {
                throw new UsageException($"--deadline: {(error.Length == 0 ? "must be positive" : error)}");
            }

            deadline = TimeSpan.FromMilliseconds(ms);
        }

        using var writer = new AlertingWriter(new AlertingWriterOptions { Nodes = context.Nodes(command), ApiKey = context.ApiKey(command), Deadline = deadline });
        var total = new WriteAck();
        var rejected = new SortedDictionary<string, long>(StringComparer.Ordinal);
        using var progress = context.Progress.Start("writing", "items");
        long sent = 0;
        foreach (WriteRequest batch in batches)
        {
            progress.Report(sent, null, position?.Invoke() ?? "");
            WriteAck ack;
            try
            {
                ack = await writer.WriteAsync(batch, cancellation);
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.DeadlineExceeded && e.Status.DebugException is RpcException last && ServerConnection.IsConnectFailure(last))
            {
                // Every node refused the connection until the deadline: say so, as for any command.
                throw new RpcException(new Grpc.Core.Status(StatusCode.Unavailable, e.Status.Detail, last.Status.DebugException));
            }

            Add(total, rejected, ack);
            sent += batch.Points.Count + batch.CheckRuns.Count;
        }

        progress.Clear();

        total.Rejected.AddRange(rejected.Select(r => new RejectedCount { Reason = r.Key, Count = r.Value }));

        for (int i = 0; i < lineErrors.Count && i < MaxReportedLineErrors; i++)
        {
            await context.Error.WriteLineAsync(lineErrors[i].ToString());
        }

        if (lineErrors.Count > MaxReportedLineErrors)
        {
            await context.Error.WriteLineAsync($"... and {lineErrors.Count - MaxReportedLineErrors} more malformed line(s)");
        }

        if (command.Json)
        {
            context.Json.Write(total);
        }
        else
        {
            string rejections = total.Rejected.Count == 0 ? "0" : string.Join(", ", total.Rejected.Select(r => $"{r.Reason}={r.Count}"));
            context.Console.WriteLine($"accepted {total.Accepted}, rejected {rejections}, malformed lines {lineErrors.Count}, durable up to log index {total.LogIndex}");
        }

        return lineErrors.Count == 0 ? ExitCodes.Ok : ExitCodes.ValidationFailure;
    }

    private static void Add(WriteAck total, SortedDictionary<string, long> rejected, WriteAck ack)
    {
        total.Accepted += ack.Accepted;
        total.LogIndex = Math.Max(total.LogIndex, ack.LogIndex);
        total.Term = Math.Max(total.Term, ack.Term);
        total.BatchId = ack.BatchId;
        foreach (RejectedCount r in ack.Rejected)
        {
            rejected[r.Reason] = rejected.GetValueOrDefault(r.Reason) + r.Count;
        }
    }
}
