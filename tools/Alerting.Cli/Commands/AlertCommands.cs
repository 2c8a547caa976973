using System.Globalization;
using Alerting.Cli.Arguments;
using Alerting.Cli.Files;
using Alerting.Cli.Output;
using Alerting.Protocol.V1;
using Grpc.Core;
using Spectre.Console;

namespace Alerting.Cli.Commands;

/// <summary><c>alertctl states</c>, <c>alerts tail</c> and <c>alerts history</c>.</summary>
internal static class AlertCommands
{
    /// <summary>First wait before re-subscribing after a disconnect; doubled up to <see cref="ReconnectDelayMaxMs"/>.</summary>
    public const int ReconnectDelayInitialMs = 200;

    public const int ReconnectDelayMaxMs = 5_000;

    /// <summary>--page-size: groups or monitors per request (0 when absent: the server's default).</summary>
    internal static int PageSize(ParsedCommand command)
    {
        if (command.Value("page-size") is not { } text)
        {
            return 0;
        }

        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var size) && size > 0
            ? size
            : throw new UsageException($"--page-size must be a positive whole number; got '{text}'");
    }

    public static async Task<int> StatesAsync(ParsedCommand command, CliContext context, CancellationToken cancellation)
    {
        using ServerConnection connection = context.Connect(command);
        var client = new Alerts.AlertsClient(connection.Invoker);
        var request = new ListStatesRequest { MonitorId = command.Value("monitor") ?? "", State = command.Value("state")?.ToUpperInvariant() ?? "", PageSize = PageSize(command) };
        var states = new List<GroupStateInfo>();
        do
        {
            ListStatesResponse page = await client.ListStatesAsync(request, cancellationToken: cancellation);
            states.AddRange(page.States);
            request.PageToken = page.NextPageToken;
        }
        while (request.PageToken.Length > 0);

        if (command.Json)
        {
            foreach (GroupStateInfo state in states)
            {
                context.Json.Write(state);
            }

            return ExitCodes.Ok;
        }

        Table table = Render.Table("MONITOR", "GROUP", "STATE", "FLAGS", "SINCE", "LAST DATA", "#");
        foreach (GroupStateInfo s in states)
        {
            table.AddRow(
                new Text(s.MonitorId),
                new Text(s.GroupKey.Length == 0 ? "*" : s.GroupKey),
                new Text(s.State, new Style(Color.FromConsoleColor(ConsoleColorFor(s.State)))),
                new Text(Render.Flags((s.Pending, "pending"), (s.Flapping, "flapping"), (s.Muted, "muted"))),
                new Text(Render.Time(s.SinceUnixMs)),
                new Text(Render.Time(s.LastDataUnixMs)),
                new Text(s.TransitionNumber.ToString(CultureInfo.InvariantCulture)));
        }

        context.Console.Write(table);
        return ExitCodes.Ok;
    }

    /// <summary>
    /// Prints transitions as they happen, after <c>--from</c> (default: the server's current
    /// applied index, so only new ones) until interrupted; re-subscribes after a disconnect,
    /// with a doubling delay, from the last index seen (see <see cref="TransitionCursor"/>).
    /// </summary>
    public static async Task<int> TailAsync(ParsedCommand command, CliContext context, CancellationToken cancellation)
    {
        using ServerConnection connection = context.Connect(command);
        var client = new Alerts.AlertsClient(connection.Invoker);
        string monitor = command.Value("monitor") ?? "";
        ulong? fromOption = null;
        if (command.Value("from") is { } fromText)
        {
            fromOption = ulong.TryParse(fromText, NumberStyles.None, CultureInfo.InvariantCulture, out ulong parsed)
                ? parsed
                : throw new UsageException($"--from must be a log index (a whole number); got '{fromText}'");
        }

        // Asked first, even with --from, so that an unreachable or refusing server ends the
        // command at once (exit 4 or 3); once it has answered, every later failure is retried.
        StatusResponse status = await new Protocol.V1.Cluster.ClusterClient(connection.Invoker).StatusAsync(new StatusRequest(), cancellationToken: cancellation);
        ulong from = fromOption ?? status.AppliedIndex;
        var cursor = new TransitionCursor(from);
        int delayMs = ReconnectDelayInitialMs;
        while (!cancellation.IsCancellationRequested)
        {
            try
            {
                using AsyncServerStreamingCall<TransitionEvent> call = client.Subscribe(new SubscribeRequest { FromIndex = cursor.ResumeFrom, MonitorId = monitor }, cancellationToken: cancellation);
                while (await call.ResponseStream.MoveNext(cancellation))
                {
                    delayMs = ReconnectDelayInitialMs;
                    TransitionEvent e = call.ResponseStream.Current;
                    if (cursor.Accept(e))
                    {
                        WriteEvent(e, command.Json, context);
                    }
                }

                await context.Error.WriteLineAsync($"stream ended; resuming after log index {cursor.LastIndex}");
            }
            catch (RpcException) when (cancellation.IsCancellationRequested)
            {
                break;
            }
            catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
            {
                break;
            }
            catch (RpcException e) when (IsTransient(e))
            {
                await context.Error.WriteLineAsync($"disconnected ({e.StatusCode}); resuming after log index {cursor.LastIndex}");
            }

            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(delayMs), context.Time, cancellation);
            }
            catch (OperationCanceledException)
            {
                break;
            }

            delayMs = Math.Min(delayMs * 2, ReconnectDelayMaxMs);
        }

        return ExitCodes.Ok;
    }

    public static async Task<int> HistoryAsync(ParsedCommand command, CliContext context, CancellationToken cancellation)
    {
        string sinceText = command.Value("since") ?? "1h";
        if (!DurationText.TryParseMs(sinceText, out long sinceMs, out string error))
        {
            throw new UsageException($"--since: {error}");
        }

        int limit = 0;
        if (command.Value("limit") is { } limitText && (!int.TryParse(limitText, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit == 0))
        {
            throw new UsageException($"--limit must be a positive whole number; got '{limitText}'");
        }

        using ServerConnection connection = context.Connect(command);
        var client = new Alerts.AlertsClient(connection.Invoker);
        var request = new HistoryRequest
        {
            MonitorId = command.Required("monitor"),
            GroupKey = command.Value("group") ?? "",
            FromUnixMs = Math.Max(0, context.NowUnixMs - sinceMs),
            Limit = limit,
        };
        HistoryResponse response = await client.HistoryAsync(request, cancellationToken: cancellation);
        if (command.Json)
        {
            foreach (TransitionEvent e in response.Events)
            {
                context.Json.Write(e);
            }

            return ExitCodes.Ok;
        }

        Table table = Render.Table("TIME", "GROUP", "TRANSITION", "VALUE", "THRESHOLD", "FLAGS", "INDEX", "REASON");
        foreach (TransitionEvent e in response.Events)
        {
            Render.AddRow(
                table,
                Render.Time(e.UnixMs),
                e.GroupKey.Length == 0 ? "*" : e.GroupKey,
                $"{e.PreviousState} -> {e.NewState}",
                Render.Number(e.HasValue ? e.Value : null),
                Render.Number(e.HasThreshold ? e.Threshold : null),
                EventFlags(e),
                e.LogIndex.ToString(CultureInfo.InvariantCulture),
                e.Reason);
        }

        context.Console.Write(table);
        return ExitCodes.Ok;
    }

    /// <summary>One line per transition: time, index, monitor, group, change, value against threshold, flags, rendered message.</summary>
    public static string FormatEvent(TransitionEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        string monitor = e.MonitorName.Length == 0 ? e.MonitorId : $"{e.MonitorName} ({e.MonitorId})";
        string group = e.GroupKey.Length == 0 ? "*" : e.GroupKey;
        string value = e.HasValue ? $" value={Render.Number(e.Value)}" : "";
        string threshold = e.HasThreshold ? $" threshold={Render.Number(e.Threshold)}" : "";
        string flags = EventFlags(e);
        string message = e.Message.Length == 0 ? "" : $" | {e.Message.ReplaceLineEndings(" ").Trim()}";
        return $"{Render.Time(e.UnixMs)} #{e.LogIndex} {monitor} {group} {e.PreviousState} -> {e.NewState}{value}{threshold}{(flags == "-" ? "" : $" [{flags}]")}{message}";
    }

    private static string EventFlags(TransitionEvent e) =>
        Render.Flags((e.Pending, "pending"), (e.Flapping, "flapping"), (e.Muted, "muted"), (e.Renotification, "renotify"));

    private static void WriteEvent(TransitionEvent e, bool json, CliContext context)
    {
        if (json)
        {
            context.Json.Write(e);
            return;
        }

        context.Console.Write(new Text(FormatEvent(e) + Environment.NewLine, new Style(Color.FromConsoleColor(ConsoleColorFor(e.NewState)))));
    }

    private static ConsoleColor ConsoleColorFor(string state) => state switch
    {
        "ALERT" => ConsoleColor.Red,
        "WARN" => ConsoleColor.Yellow,
        "NO_DATA" => ConsoleColor.Gray,
        _ => ConsoleColor.Green,
    };

    /// <summary>Failures a later subscription can get past: the connection or the server went away (a stopping server cancels its streams).</summary>
    private static bool IsTransient(RpcException e) =>
        e.StatusCode is StatusCode.Cancelled or StatusCode.Unavailable or StatusCode.Internal or StatusCode.Aborted or StatusCode.DeadlineExceeded or StatusCode.Unknown;
}
