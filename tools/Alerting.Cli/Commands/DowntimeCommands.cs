using System.Globalization;
using Alerting.Cli.Arguments;
using Alerting.Cli.Files;
using Alerting.Cli.Output;
using Alerting.Protocol.Log;
using Alerting.Protocol.V1;
using Spectre.Console;

namespace Alerting.Cli.Commands;

/// <summary><c>alertctl downtimes create|list|delete</c>.</summary>
internal static class DowntimeCommands
{
    public static async Task<int> CreateAsync(ParsedCommand command, CliContext context, CancellationToken cancellation)
    {
        Downtime downtime = BuildDowntime(command, context.NowUnixMs);
        using ServerConnection connection = context.Connect(command);
        var client = new Protocol.V1.Downtimes.DowntimesClient(connection.Invoker);
        DowntimeResponse response = await client.CreateAsync(new CreateDowntimeRequest { Downtime = downtime }, cancellationToken: cancellation);
        if (command.Json)
        {
            context.Json.Write(response);
            return ExitCodes.Ok;
        }

        context.Console.WriteLine($"created downtime {response.Downtime.Id} (log index {response.LogIndex})");
        return ExitCodes.Ok;
    }

    /// <summary>The downtime the options describe; start defaults to now, and <c>--end</c> and <c>--duration</c> exclude each other.</summary>
    public static Downtime BuildDowntime(ParsedCommand command, long nowUnixMs)
    {
        ArgumentNullException.ThrowIfNull(command);
        var downtime = new Downtime
        {
            MonitorId = command.Value("monitor") ?? "",
            Group = command.Value("group") ?? "",
            Recurrence = command.Value("recurrence") ?? "",
            NotifyEndIfAlerting = command.HasFlag("notify-end-if-alerting"),
            StartUnixMs = command.Value("start") is { } start ? ParseTime(start, "start", nowUnixMs) : nowUnixMs,
        };
        string? endTypes = command.Value("notify-end-types");
        string? endStates = command.Value("notify-end-states");
        if (endTypes is not null || endStates is not null)
        {
            // Datadog v2 notify_end_types / notify_end_states; "none" (or an empty list) for no end notification.
            // Either left out takes Datadog's default ([expired]; [alert, no data, warn]).
            downtime.NotifyEnd = new DowntimeNotifyEnd
            {
                Types_ = { endTypes is null ? ["expired"] : ListOption(endTypes) },
                States = { endStates is null ? ["alert", "no data", "warn"] : ListOption(endStates) },
            };
        }

        if (command.Value("scope") is { } scope)
        {
            downtime.Scope.AddRange(scope.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries));
        }

        string? end = command.Value("end");
        string? duration = command.Value("duration");
        if (end is not null && duration is not null)
        {
            throw new UsageException("downtimes create: give --end or --duration, not both");
        }

        if (end is not null)
        {
            downtime.EndUnixMs = ParseTime(end, "end", nowUnixMs);
        }
        else if (duration is not null)
        {
            if (!DurationText.TryParseMs(duration, out long ms, out string error) || ms == 0)
            {
                throw new UsageException($"--duration: {(error.Length > 0 ? error : "must be longer than zero")}");
            }

            downtime.EndUnixMs = downtime.StartUnixMs + ms;
        }

        if (downtime.EndUnixMs != 0 && downtime.EndUnixMs <= downtime.StartUnixMs)
        {
            throw new UsageException("downtimes create: the end must be after the start");
        }

        return downtime;
    }

    /// <summary>A comma-separated option value; <c>none</c> or empty is the empty list.</summary>
    private static string[] ListOption(string text) =>
        text is "none" ? [] : text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);

    /// <summary><c>now</c>, Unix milliseconds, or an ISO 8601 time (UTC unless it names an offset).</summary>
    public static long ParseTime(string text, string option, long nowUnixMs)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text == "now")
        {
            return nowUnixMs;
        }

        if (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long unixMs))
        {
            return unixMs;
        }

        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out DateTimeOffset time))
        {
            return time.ToUnixTimeMilliseconds();
        }

        throw new UsageException($"--{option} must be 'now', Unix milliseconds or an ISO 8601 time like 2026-01-31T22:00:00Z; got '{text}'");
    }

    public static async Task<int> ListAsync(ParsedCommand command, CliContext context, CancellationToken cancellation)
    {
        using ServerConnection connection = context.Connect(command);
        var client = new Protocol.V1.Downtimes.DowntimesClient(connection.Invoker);
        ListDowntimesResponse response = await client.ListAsync(new ListDowntimesRequest(), cancellationToken: cancellation);
        if (command.Json)
        {
            foreach (Downtime downtime in response.Downtimes)
            {
                context.Json.Write(downtime);
            }

            return ExitCodes.Ok;
        }

        Table table = Render.Table("ID", "MONITOR", "SCOPE", "GROUP", "START", "END", "RECURRENCE", "NOTIFY END");
        foreach (Downtime d in response.Downtimes)
        {
            Render.AddRow(
                table,
                d.Id,
                d.MonitorId.Length == 0 ? "*" : d.MonitorId,
                d.Scope.Count == 0 ? "*" : string.Join(',', d.Scope),
                d.Group.Length == 0 ? "*" : d.Group,
                Render.Time(d.StartUnixMs),
                Render.Time(d.EndUnixMs),
                d.Recurrence.Length == 0 ? "-" : d.Recurrence,
                NotifyEndText(d));
        }

        context.Console.Write(table);
        return ExitCodes.Ok;
    }

    /// <summary>When the downtime's end notifies: <c>expired,canceled: alert,warn</c>, or <c>-</c> for never.</summary>
    private static string NotifyEndText(Downtime d)
    {
        if (d.NotifyEnd is null)
        {
            return d.NotifyEndIfAlerting ? "expired,canceled: alert" : "-";
        }

        return d.NotifyEnd.Types_.Count == 0 || d.NotifyEnd.States.Count == 0
            ? "-"
            : $"{string.Join(',', d.NotifyEnd.Types_)}: {string.Join(',', d.NotifyEnd.States)}";
    }

    public static async Task<int> DeleteAsync(ParsedCommand command, CliContext context, CancellationToken cancellation)
    {
        using ServerConnection connection = context.Connect(command);
        var client = new Protocol.V1.Downtimes.DowntimesClient(connection.Invoker);
        DeleteDowntimeResponse response = await client.DeleteAsync(new DeleteDowntimeRequest { Id = command.Positionals[0] }, cancellationToken: cancellation);
        if (command.Json)
        {
            context.Json.Write(response);
            return ExitCodes.Ok;
        }

        context.Console.WriteLine($"deleted downtime {command.Positionals[0]} (log index {response.LogIndex})");
        return ExitCodes.Ok;
    }
}
