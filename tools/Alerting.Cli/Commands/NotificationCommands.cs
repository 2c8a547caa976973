using System.Globalization;
using Alerting.Cli.Arguments;
using Alerting.Cli.Output;
using Alerting.Protocol.V1;
using Spectre.Console;

namespace Alerting.Cli.Commands;

/// <summary><c>alertctl notifications</c> (the outbox per endpoint: pending and failed) and <c>alertctl notifications retry</c>.</summary>
internal static class NotificationCommands
{
    public static async Task<int> ListAsync(ParsedCommand command, CliContext context, CancellationToken cancellation)
    {
        var request = new ListNotificationsRequest { Endpoint = command.Value("endpoint") ?? "" };
        if (command.Value("limit") is { } limit)
        {
            request.Limit = ParseCount(limit, "limit");
        }

        using ServerConnection connection = context.Connect(command);
        var client = new Protocol.V1.Notifications.NotificationsClient(connection.Invoker);
        ListNotificationsResponse response = await client.ListAsync(request, cancellationToken: cancellation);
        if (command.Json)
        {
            foreach (EndpointNotifications endpoint in response.Endpoints)
            {
                context.Json.Write(endpoint);
            }

            return ExitCodes.Ok;
        }

        if (response.Endpoints.Count == 0)
        {
            context.Console.WriteLine("no notification endpoints are configured");
            return ExitCodes.Ok;
        }

        Table summary = Render.Table("ENDPOINT", "SETTLED BEFORE", "PENDING", "QUEUED", "WAITING FOR ROOM", "FAILED", "DELIVERED", "SUPERSEDED");
        foreach (EndpointNotifications e in response.Endpoints)
        {
            Render.AddRow(summary, e.Endpoint, Number(e.SettledBeforeIndex), Number(e.Pending), Number(e.Queued), Number(e.WaitingForRoom), Number(e.Failed), Number(e.Delivered), Number(e.Superseded));
        }

        context.Console.Write(summary);
        Table details = Render.Table("ENDPOINT", "STATUS", "ID", "STATE", "INDEX", "ATTEMPTS", "HTTP", "DETAIL");
        int rows = 0;
        foreach (EndpointNotifications e in response.Endpoints)
        {
            foreach (NotificationInfo n in e.QueuedNotifications.Concat(e.FailedNotifications))
            {
                string detail = n.Replaces.Count > 0 ? "replaces " + string.Join(", ", n.Replaces) : n.Detail;
                Render.AddRow(details, n.Endpoint, n.Outcome, Id(n), n.State.Length == 0 ? "-" : n.State, Number(n.LogIndex), Number(n.Attempts), n.StatusCode == 0 ? "-" : Number((ulong)n.StatusCode), detail.Length == 0 ? "-" : detail);
                rows++;
            }
        }

        if (rows > 0)
        {
            context.Console.Write(details);
        }

        return ExitCodes.Ok;
    }

    public static async Task<int> RetryAsync(ParsedCommand command, CliContext context, CancellationToken cancellation)
    {
        var request = new RetryNotificationsRequest
        {
            Endpoint = command.Value("endpoint") ?? "",
            MonitorId = command.Value("monitor") ?? "",
            GroupKey = command.Value("group") ?? "",
        };
        if (command.Value("transition") is { } transition)
        {
            request.TransitionNumber = (ulong)ParseCount(transition, "transition");
        }

        using ServerConnection connection = context.Connect(command);
        var client = new Protocol.V1.Notifications.NotificationsClient(connection.Invoker);
        RetryNotificationsResponse response = await client.RetryAsync(request, cancellationToken: cancellation);
        if (command.Json)
        {
            context.Json.Write(response);
            return ExitCodes.Ok;
        }

        context.Console.WriteLine($"re-queued {response.Requeued.Count} failed notification(s)");
        foreach (NotificationInfo n in response.NotInHistory)
        {
            context.Console.WriteLine($"cannot retry {Id(n)} to {n.Endpoint}: its event is no longer in the transition history");
        }

        return ExitCodes.Ok;
    }

    private static int ParseCount(string text, string option) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int value) && value > 0
            ? value
            : throw new UsageException($"--{option} must be a positive whole number, got '{text}'");

    private static string Id(NotificationInfo n) => $"{n.MonitorId}/{n.GroupKey}/{n.TransitionNumber.ToString(CultureInfo.InvariantCulture)}";

    private static string Number(ulong value) => value.ToString(CultureInfo.InvariantCulture);
}
