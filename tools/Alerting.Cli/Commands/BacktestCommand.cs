using System.Globalization;
using Alerting.Cli.Arguments;
using Alerting.Cli.Files;
using Alerting.Cli.Output;
using Alerting.Engine.Monitors;
using Alerting.Engine.StateMachine;
using Alerting.Protocol.V1;
using Grpc.Core;
using Monitor = Alerting.Protocol.Log.Monitor;

namespace Alerting.Cli.Commands;

/// <summary>
/// <c>alertctl backtest --monitor FILE --from T1 --to T2 [--points FILE]</c>: what a candidate monitor
/// would have done. Without <c>--points</c> the server replays the points its journal holds
/// (<c>Monitors.Backtest</c>); with it, the points of the file are replayed here, through the engine's
/// own state machine on logical time (<see cref="LogicalTimeRun"/>, as <c>alertctl test</c> does). Either
/// way nothing live changes, and the transitions are printed as <c>alerts history</c> prints them.
/// </summary>
internal static class BacktestCommand
{
    /// <summary>Transitions printed when <c>--max-transitions</c> is not given (the server's default too).</summary>
    public const int DefaultMaxTransitions = 1_000;

    /// <summary>Largest <c>--max-transitions</c> (the server's limit too).</summary>
    public const int MaxTransitionsLimit = 10_000;

    /// <summary>Most points one <c>--points</c> file may hold: they are all kept in memory to be replayed in time order.</summary>
    public const int MaxFilePoints = 10_000_000;

    public static async Task<int> RunAsync(ParsedCommand command, CliContext context, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(context);
        long nowMs = context.NowUnixMs;
        long fromMs = DowntimeCommands.ParseTime(command.Required("from"), "from", nowMs);
        long toMs = DowntimeCommands.ParseTime(command.Required("to"), "to", nowMs);
        if (toMs <= fromMs)
        {
            throw new UsageException($"--to must be after --from; got --from {Render.Time(fromMs)} and --to {Render.Time(toMs)}");
        }

        int maxTransitions = MaxTransitions(command);
        MonitorFileResult file = MonitorFile.Load(command.Required("monitor"), context.Input);
        foreach (FileError warning in file.Warnings)
        {
            await context.Error.WriteLineAsync($"warning: {warning}");
        }

        if (file.IsValid && file.Monitors.Count != 1)
        {
            file = file with { Errors = [new FileError(file.File, 0, 0, "", $"holds {file.Monitors.Count} monitors; backtest replays one (put the candidate in a file of its own)")] };
        }
        else if (file.IsValid && Backtest.Refusal(file.Monitors[0]) is { } refusal)
        {
            file = file with { Errors = [new FileError(file.File, 0, 0, "", refusal)] };
        }

        if (!file.IsValid)
        {
            foreach (FileError error in file.Errors)
            {
                await context.Error.WriteLineAsync(error.ToString());
            }

            return ExitCodes.ValidationFailure;
        }

        Monitor candidate = file.Monitors[0];
        return command.Value("points") is { } points
            ? await FromFileAsync(command, context, file, candidate, points, fromMs, toMs, maxTransitions, cancellation)
            : await FromServerAsync(command, context, file, candidate, fromMs, toMs, maxTransitions, cancellation);
    }

    private static int MaxTransitions(ParsedCommand command)
    {
        if (command.Value("max-transitions") is not { } text)
        {
            return DefaultMaxTransitions;
        }

        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int max) && max is > 0 and <= MaxTransitionsLimit
            ? max
            : throw new UsageException($"--max-transitions must be a whole number from 1 to {MaxTransitionsLimit}; got '{text}'");
    }

    private static async Task<int> FromServerAsync(ParsedCommand command, CliContext context, MonitorFileResult file, Monitor candidate, long fromMs, long toMs, int maxTransitions, CancellationToken cancellation)
    {
        using ServerConnection connection = context.Connect(command);
        var client = new Protocol.V1.Monitors.MonitorsClient(connection.Invoker);
        BacktestResponse response;
        try
        {
            response = await client.BacktestAsync(new BacktestRequest { Monitor = candidate, FromUnixMs = fromMs, ToUnixMs = toMs, MaxTransitions = maxTransitions }, cancellationToken: cancellation);
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.InvalidArgument)
        {
            await context.Error.WriteLineAsync(InvalidField(file, e.Status.Detail));
            return ExitCodes.ValidationFailure;
        }

        if (response.StartsLate)
        {
            await context.Error.WriteLineAsync($"warning: the server's journal starts at {Render.Time(response.CoveredFromUnixMs)}, after {Render.Time(response.ReplayFromUnixMs)} (--from less the monitor's warm-up): older points were dropped with a snapshot, so transitions before about {Render.Time(response.CoveredFromUnixMs + (fromMs - response.ReplayFromUnixMs))} may be missing or wrong");
        }

        if (response.CoveredToUnixMs < toMs)
        {
            await context.Error.WriteLineAsync($"note: the server's journal ends at {Render.Time(response.CoveredToUnixMs)}, before --to");
        }

        Print(command, context, response.Events);
        await context.Error.WriteLineAsync($"{response.Events.Count} transition(s); replayed {response.PointsReplayed} point(s) ({response.PointsRejected} refused) from {response.EntriesScanned} journal entries {response.FirstIndex}..{response.LastIndex}");
        return ExitCodes.Ok;
    }

    private static async Task<int> FromFileAsync(ParsedCommand command, CliContext context, MonitorFileResult file, Monitor candidate, string path, long fromMs, long toMs, int maxTransitions, CancellationToken cancellation)
    {
        // As the monitors API does: options left out get Datadog's defaults (new_group_delay 60 s).
        candidate = MonitorDefaults.Apply(candidate);
        if (candidate.Id.Length == 0)
        {
            candidate = candidate.Clone();
            candidate.Id = Backtest.DefaultCandidateId;
        }

        try
        {
            MonitorCompiler.Validate(candidate);
        }
        catch (MonitorValidationException e)
        {
            await context.Error.WriteLineAsync(file.ServerError(0, e.Field, e.Reason).ToString());
            return ExitCodes.ValidationFailure;
        }

        if (path != "-" && !File.Exists(path))
        {
            await context.Error.WriteLineAsync($"{path}: file not found");
            return ExitCodes.ValidationFailure;
        }

        var points = new List<TimedPoint>();
        using (StreamReader? reader = path == "-" ? null : new StreamReader(path))
        {
            var lines = new PointReader(reader is null ? "<stdin>" : path, reader ?? context.Input, () => context.NowUnixMs);
            foreach (WriteRequest batch in lines.Batches())
            {
                cancellation.ThrowIfCancellationRequested();
                foreach (Point point in batch.Points)
                {
                    if (points.Count == MaxFilePoints)
                    {
                        throw new UsageException($"--points: more than {MaxFilePoints} points (MaxFilePoints); replay a shorter stretch");
                    }

                    points.Add(new TimedPoint(point.UnixMs, point.Metric, point.Tags, point.Value));
                }
            }

            for (int i = 0; i < lines.Errors.Count && i < WriteCommand.MaxReportedLineErrors; i++)
            {
                await context.Error.WriteLineAsync(lines.Errors[i].ToString());
            }

            if (lines.Errors.Count > 0)
            {
                await context.Error.WriteLineAsync($"{lines.Errors.Count} malformed line(s) skipped");
            }

            long startMs = fromMs - Backtest.WarmUpMs(candidate);
            if ((toMs - startMs) / LogicalTimeRun.TickMs >= LogicalTimeRun.MaxTicks)
            {
                throw new UsageException($"--from and --to are {(toMs - startMs) / 86_400_000} days apart (with the monitor's warm-up); a file backtest covers at most {LogicalTimeRun.MaxTicks / 86_400} days");
            }

            var backtest = new Backtest(candidate, fromMs, toMs, maxTransitions);
            long entry = 0;
            try
            {
                foreach (Protocol.Log.LogEntry logEntry in LogicalTimeRun.Entries(startMs, toMs, points))
                {
                    if (++entry % 4_096 == 0)
                    {
                        cancellation.ThrowIfCancellationRequested();
                    }

                    backtest.Apply(0, logEntry);
                }
            }
            catch (BacktestLimitException e)
            {
                await context.Error.WriteLineAsync($"error: --max-transitions ({e.Value}): {e.Message}");
                return ExitCodes.ValidationFailure;
            }

            Print(command, context, backtest.Events.Select(e => ToProto(e, candidate.Name)).ToList());
            await context.Error.WriteLineAsync($"{backtest.Events.Count} transition(s); replayed {backtest.PointsReplayed} point(s) ({backtest.PointsRejected} refused) from {path}");
            return lines.Errors.Count == 0 ? ExitCodes.Ok : ExitCodes.ValidationFailure;
        }
    }

    /// <summary>The events as <c>alerts history</c> prints them, with the rendered message: a table, or one object per event.</summary>
    private static void Print(ParsedCommand command, CliContext context, IReadOnlyList<TransitionEvent> events)
    {
        if (command.Json)
        {
            foreach (TransitionEvent e in events)
            {
                context.Json.Write(e);
            }

            return;
        }

        Spectre.Console.Table table = Render.Table("TIME", "GROUP", "TRANSITION", "VALUE", "THRESHOLD", "REASON", "MESSAGE");
        foreach (TransitionEvent e in events)
        {
            Render.AddRow(
                table,
                Render.Time(e.UnixMs),
                e.GroupKey.Length == 0 ? "*" : e.GroupKey,
                $"{e.PreviousState} -> {e.NewState}{(e.Renotification ? " (renotify)" : "")}",
                Render.Number(e.HasValue ? e.Value : null),
                Render.Number(e.HasThreshold ? e.Threshold : null),
                e.Reason,
                e.Message.ReplaceLineEndings(" ").Trim());
        }

        context.Console.Write(table);
    }

    private static TransitionEvent ToProto(BacktestEvent item, string monitorName)
    {
        Engine.State.TransitionEvent e = item.Event;
        var proto = new TransitionEvent
        {
            MonitorId = e.MonitorId,
            MonitorName = monitorName,
            GroupKey = e.GroupKey,
            TransitionNumber = e.TransitionNumber,
            PreviousState = TestCommand.StateName(e.Previous),
            NewState = TestCommand.StateName(e.Next),
            UnixMs = e.TimeMs,
            Reason = e.ReasonText,
            Pending = (e.Flags & Engine.State.GroupFlags.Pending) != 0,
            Flapping = (e.Flags & Engine.State.GroupFlags.Flapping) != 0,
            Muted = (e.Flags & Engine.State.GroupFlags.Muted) != 0,
            Notify = e.Notify,
            Renotification = e.IsRenotification,
            Message = item.Message,
        };
        if (!double.IsNaN(e.Value))
        {
            proto.Value = e.Value;
        }

        if (!double.IsNaN(e.Threshold))
        {
            proto.Threshold = e.Threshold;
        }

        return proto;
    }

    /// <summary>The server names request fields (<c>monitor.query: ...</c>, <c>from_unix_ms: ...</c>); the user wrote the file's fields and <c>--from</c>/<c>--to</c>.</summary>
    private static string InvalidField(MonitorFileResult file, string detail)
    {
        int colon = detail.IndexOf(": ", StringComparison.Ordinal);
        string field = colon < 0 ? "" : detail[..colon];
        string message = colon < 0 ? detail : detail[(colon + 2)..];
        return field switch
        {
            "from_unix_ms" => $"error: --from: {message}",
            "to_unix_ms" => $"error: --to: {message}",
            "max_transitions" => $"error: --max-transitions: {message}",
            _ when field.StartsWith("monitor.", StringComparison.Ordinal) => file.ServerError(0, field["monitor.".Length..], message).ToString(),
            _ => $"error: {detail}",
        };
    }
}
