using System.Globalization;
using Alerting.Cli.Arguments;
using Alerting.Cli.Output;
using Alerting.Protocol.V1;
using Spectre.Console;

namespace Alerting.Cli.Commands;

/// <summary><c>alertctl cluster status</c>.</summary>
internal static class ClusterCommands
{
    public static async Task<int> StatusAsync(ParsedCommand command, CliContext context, CancellationToken cancellation)
    {
        using ServerConnection connection = context.Connect(command);
        var client = new Protocol.V1.Cluster.ClusterClient(connection.Invoker);
        StatusResponse status = await client.StatusAsync(new StatusRequest(), cancellationToken: cancellation);
        if (command.Json)
        {
            context.Json.Write(status);
            return ExitCodes.Ok;
        }

        var grid = new Grid().AddColumn().AddColumn();
        (string, string)[] rows =
        [
            ("server", connection.Address),
            ("node", status.NodeId),
            ("role", status.Role),
            ("term", status.Term.ToString(CultureInfo.InvariantCulture)),
            ("log index", status.LogIndex.ToString(CultureInfo.InvariantCulture)),
            ("commit index", status.CommitIndex.ToString(CultureInfo.InvariantCulture)),
            ("durable index", status.DurableIndex.ToString(CultureInfo.InvariantCulture)),
            ("applied index", status.AppliedIndex.ToString(CultureInfo.InvariantCulture)),
            ("durability", status.Durability),
            ("primary", status.PrimaryAddress.Length == 0 ? "-" : status.PrimaryAddress),
            ("logical time", Render.Time(status.LogicalTimeUnixMs)),
        ];
        foreach ((string name, string value) in rows)
        {
            grid.AddRow(new Text(name), new Text(value));
        }

        context.Console.Write(grid);
        return ExitCodes.Ok;
    }
}
