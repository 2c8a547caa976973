using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Alerting.Cli.Arguments;
using Alerting.Cli.Files;
using Alerting.Client;
using Spectre.Console;

namespace Alerting.Cli.Commands;

/// <summary>
/// <c>alertctl cluster status</c>: asks every node (<c>--nodes</c>, <c>ALERTING_NODES</c>, or the
/// one <c>--server</c>) for <c>Cluster.Status</c> at once and prints one row per node: node id,
/// address, role, term, last/durable/commit/applied index and lag (how far its applied index is
/// behind the highest commit index any node reported), or "unreachable" with the reason (or
/// "error" with what a node that refused the call said). A primary handing the lead over
/// (<c>cluster step-down</c>) shows the target and since when in its status column.
/// 
/// </summary>
internal static class ClusterCommands
{
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    public static async Task<int> StatusAsync(ParsedCommand command, CliContext context, CancellationToken cancellation)
    {
        IReadOnlyList<Uri> nodes = context.Nodes(command);
        TimeSpan timeout = ClusterStatus.DefaultTimeout;
        if (command.Value("timeout") is { } text)
        {
            if (!DurationText.TryParseMs(text, out long ms, out string error) || ms <= 0)
            {
                throw new UsageException($"--timeout: {(ms <= 0 && error.Length == 0 ? "must be positive" : error)}");
            }

            timeout = TimeSpan.FromMilliseconds(ms);
        }

        IReadOnlyList<NodeStatus> statuses = await ClusterStatus.ReadAsync(nodes, context.ApiKey(command), timeout, cancellation);
        List<NodeRow> rows = statuses.Select(NodeRow.Of).ToList();
        foreach (NodeStatus node in statuses.Where(n => n.Failure is not null))
        {
            await context.Error.WriteLineAsync(node.IsUnreachable
                ? $"error: cannot connect to {node.Address}: {node.Failure}"
                : $"error: {node.Address} answered {node.Failure}");
        }

        if (command.Json)
        {
            foreach (NodeRow row in rows)
            {
                context.Json.WriteJson(JsonSerializer.Serialize(row, Json));
            }

            await context.Output.FlushAsync(cancellation);
        }
        else
        {
            var table = new Table().AddColumns("node", "address", "role", "term", "last index", "durable index", "commit index", "applied index", "lag", "status");
            foreach (NodeRow row in rows)
            {
                table.AddRow(
                    [
                        new Text(row.NodeId ?? "-"),
                        new Text(row.Address),
                        new Text(row.Role ?? "-"),
                        new Text(Number(row.Term)),
                        new Text(Number(row.LogIndex)),
                        new Text(Number(row.DurableIndex)),
                        new Text(Number(row.CommitIndex)),
                        new Text(Number(row.AppliedIndex)),
                        new Text(Number(row.Lag)),
                        new Text(row.Unreachable is not null ? $"unreachable: {row.Unreachable}" : row.Error is not null ? $"error: {row.Error}" : row.TransferTarget is { } target ? $"ok; handing the lead to node {target} since {row.TransferSince}" : "ok"),
                    ]);
            }

            context.Console.Write(table);
        }

        // A refusal (a wrong API key) says more than a node that is down.
        return statuses.Any(n => n.Failure is not null && !n.IsUnreachable) ? ExitCodes.ServerError
            : statuses.Any(n => n.IsUnreachable) ? ExitCodes.CannotConnect
            : ExitCodes.Ok;
    }

    /// <summary>
    /// <c>alertctl cluster step-down [--to N]</c>: asks the primary (<c>--server</c>; a node that is not
    /// the primary names it, and the request is sent there once) to hand leadership to node N, or to the
    /// most caught-up data member; prints the new primary and its term.
    /// </summary>
    public static async Task<int> StepDownAsync(ParsedCommand command, CliContext context, CancellationToken cancellation)
    {
        var request = new Protocol.V1.StepDownRequest();
        if (command.Value("to") is { } to)
        {
            if (!int.TryParse(to, NumberStyles.None, CultureInfo.InvariantCulture, out int id) || id <= 0)
            {
                throw new UsageException($"--to must be a node id (a positive whole number), got '{to}'");
            }

            request.To = id.ToString(CultureInfo.InvariantCulture);
        }

        Protocol.V1.StepDownResponse response;
        using (ServerConnection connection = context.Connect(command))
        {
            try
            {
                response = await new Protocol.V1.Cluster.ClusterClient(connection.Invoker).StepDownAsync(request, cancellationToken: cancellation);
            }
            catch (Grpc.Core.RpcException e) when (e.StatusCode == Grpc.Core.StatusCode.Unavailable && e.Trailers.GetValue(WriteRetry.PrimaryTrailer) is { Length: > 0 } primary)
            {
                // Not the primary: it named the one it knows.
                using ServerConnection redirected = ServerConnection.Open(primary, context.ApiKey(command));
                response = await new Protocol.V1.Cluster.ClusterClient(redirected.Invoker).StepDownAsync(request, cancellationToken: cancellation);
            }
        }

        if (command.Json)
        {
            context.Json.Write(response);
            return ExitCodes.Ok;
        }

        context.Console.WriteLine($"node {response.PrimaryId} leads term {response.Term.ToString(CultureInfo.InvariantCulture)}{(response.PrimaryAddress.Length > 0 ? $" at {response.PrimaryAddress}" : "")}");
        return ExitCodes.Ok;
    }

    private static string Number(ulong? value) => value?.ToString(CultureInfo.InvariantCulture) ?? "-";

    /// <summary>
    /// One node as <c>--json</c> writes it: every field present, null where a node gave nothing.
    /// <c>unreachable</c> holds why no answer came; <c>error</c> why the node refused the call.
    /// </summary>
    internal sealed record NodeRow(
        string Address,
        bool Reachable,
        string? Unreachable,
        string? Error,
        string? NodeId,
        string? Role,
        ulong? Term,
        ulong? LogIndex,
        ulong? DurableIndex,
        ulong? CommitIndex,
        ulong? AppliedIndex,
        ulong? Lag,
        string? PrimaryAddress,
        string? Durability,
        string? TransferTarget,
        string? TransferSince)
    {
        public static NodeRow Of(NodeStatus node)
        {
            string address = node.Address.ToString().TrimEnd('/');
            return node.Status is { } s
                ? new NodeRow(
                    address, true, null, null, s.NodeId, s.Role, s.Term, s.LogIndex, s.DurableIndex, s.CommitIndex, s.AppliedIndex, node.Lag, s.PrimaryAddress, s.Durability,
                    s.TransferTarget is { Length: > 0 } target ? target : null,
                    s.TransferTarget is { Length: > 0 } ? DateTimeOffset.FromUnixTimeMilliseconds(s.TransferSinceUnixMs).ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture) : null)
                : new NodeRow(address, !node.IsUnreachable, node.IsUnreachable ? node.Failure : null, node.IsUnreachable ? null : node.Failure, null, null, null, null, null, null, null, null, null, null, null, null);
        }
    }
}
