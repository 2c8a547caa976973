using Alerting.Cli.Arguments;
using Alerting.Cli.Files;
using Alerting.Protocol.V1;
using Grpc.Core;
using Spectre.Console;

namespace Alerting.Cli.Commands;

/// <summary>
/// <c>alertctl write</c>: streams point lines to <c>Ingest.Write</c> in batches and sums the
/// acks. Malformed lines are reported with their line number and skipped; any makes the exit
/// code 1 once the good points are written.
/// </summary>
internal static class WriteCommand
{
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
        using ServerConnection connection = context.Connect(command);
        var client = new Ingest.IngestClient(connection.Invoker);
        using AsyncDuplexStreamingCall<WriteRequest, WriteAck> call = client.Write(cancellationToken: cancellation);
        var total = new WriteAck();
        var rejected = new SortedDictionary<string, long>(StringComparer.Ordinal);
        Task acks = SumAcksAsync(call.ResponseStream, total, rejected, cancellation);
        foreach (WriteRequest batch in reader.Batches())
        {
            await call.RequestStream.WriteAsync(batch, cancellation);
        }

        await call.RequestStream.CompleteAsync();
        await acks;
        total.Rejected.AddRange(rejected.Select(r => new RejectedCount { Reason = r.Key, Count = r.Value }));

        for (int i = 0; i < reader.Errors.Count && i < MaxReportedLineErrors; i++)
        {
            await context.Error.WriteLineAsync(reader.Errors[i].ToString());
        }

        if (reader.Errors.Count > MaxReportedLineErrors)
        {
            await context.Error.WriteLineAsync($"... and {reader.Errors.Count - MaxReportedLineErrors} more malformed line(s)");
        }

        if (command.Json)
        {
            context.Json.Write(total);
        }
        else
        {
            string rejections = total.Rejected.Count == 0 ? "0" : string.Join(", ", total.Rejected.Select(r => $"{r.Reason}={r.Count}"));
            context.Console.WriteLine($"accepted {total.Accepted}, rejected {rejections}, malformed lines {reader.Errors.Count}, durable up to log index {total.LogIndex}");
        }

        return reader.Errors.Count == 0 ? ExitCodes.Ok : ExitCodes.ValidationFailure;
    }

    private static async Task SumAcksAsync(IAsyncStreamReader<WriteAck> stream, WriteAck total, SortedDictionary<string, long> rejected, CancellationToken cancellation)
    {
        while (await stream.MoveNext(cancellation))
        {
            WriteAck ack = stream.Current;
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
}
