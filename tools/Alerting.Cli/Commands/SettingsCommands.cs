using System.Globalization;
using Alerting.Cli.Arguments;
using Alerting.Cli.Files;
using Alerting.Client;
using Alerting.Protocol.Log;
using Alerting.Protocol.V1;
using Spectre.Console;

namespace Alerting.Cli.Commands;

/// <summary>
/// <c>alertctl settings get|set</c>: the engine settings every replica shares (series retention,
/// step budgets), read from the state and set by an <c>EngineSettings</c> log entry.
/// </summary>
internal static class SettingsCommands
{
    public static async Task<int> GetAsync(ParsedCommand command, CliContext context, CancellationToken cancellation)
    {
        using ServerConnection connection = context.Connect(command);
        EngineSettingsResponse response = await new Admin.AdminClient(connection.Invoker).GetEngineSettingsAsync(new GetEngineSettingsRequest(), cancellationToken: cancellation);
        return Print(command, context, response, written: false);
    }

    /// <summary>
    /// <c>alertctl settings set [--series-retention D] [--series-sweep-step N] [--match-step-series N]</c>:
    /// the options given, the rest kept; a node that is not the primary names it, and the request is sent there once.
    /// </summary>
    public static async Task<int> SetAsync(ParsedCommand command, CliContext context, CancellationToken cancellation)
    {
        var request = new SetEngineSettingsRequest { Settings = Settings(command) };
        EngineSettingsResponse response;
        using (ServerConnection connection = context.Connect(command))
        {
            try
            {
                response = await new Admin.AdminClient(connection.Invoker).SetEngineSettingsAsync(request, cancellationToken: cancellation);
            }
            catch (Grpc.Core.RpcException e) when (e.StatusCode == Grpc.Core.StatusCode.Unavailable && e.Trailers.GetValue(WriteRetry.PrimaryTrailer) is { Length: > 0 } primary)
            {
                using ServerConnection redirected = ServerConnection.Open(primary, context.ApiKey(command));
                response = await new Admin.AdminClient(redirected.Invoker).SetEngineSettingsAsync(request, cancellationToken: cancellation);
            }
        }

        return Print(command, context, response, written: true);
    }

    /// <summary>The entry the options describe; an option left out is 0 (the server keeps that value).</summary>
    internal static EngineSettings Settings(ParsedCommand command)
    {
        ArgumentNullException.ThrowIfNull(command);
        var settings = new EngineSettings();
        if (command.Value("series-retention") is { } retention)
        {
            if (!DurationText.TryParseMs(retention, out long ms, out string error) || ms <= 0)
            {
                throw new UsageException($"--series-retention: {(error.Length > 0 ? error : "must be longer than zero")}");
            }

            settings.SeriesRetentionMs = ms;
        }

        settings.SeriesSweepStep = Step(command, "series-sweep-step");
        settings.MatchStepSeries = Step(command, "match-step-series");
        if (settings.SeriesRetentionMs == 0 && settings.SeriesSweepStep == 0 && settings.MatchStepSeries == 0)
        {
            throw new UsageException("settings set: give at least one of --series-retention, --series-sweep-step, --match-step-series");
        }

        return settings;
    }

    private static int Step(ParsedCommand command, string option)
    {
        if (command.Value(option) is not { } text)
        {
            return 0;
        }

        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int step) || step <= 0)
        {
            throw new UsageException($"--{option} must be a positive whole number of series, got '{text}'");
        }

        return step;
    }

    private static int Print(ParsedCommand command, CliContext context, EngineSettingsResponse response, bool written)
    {
        if (command.Json)
        {
            context.Json.Write(response);
            return ExitCodes.Ok;
        }

        EngineSettings s = response.Settings;
        string index = response.LogIndex.ToString(CultureInfo.InvariantCulture);
        context.Console.WriteLine(written ? $"engine settings written at log index {index}" : $"engine settings as of log index {index}");
        context.Console.WriteLine($"series_retention   {DurationText.Format(s.SeriesRetentionMs)}");
        context.Console.WriteLine($"series_sweep_step  {s.SeriesSweepStep.ToString(CultureInfo.InvariantCulture)}");
        context.Console.WriteLine($"match_step_series  {s.MatchStepSeries.ToString(CultureInfo.InvariantCulture)}");
        return ExitCodes.Ok;
    }
}
