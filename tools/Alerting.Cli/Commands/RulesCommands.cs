using Alerting.Cli.Arguments;
using Alerting.Cli.Files;
using Alerting.Protocol.V1;
using Grpc.Core;
using Spectre.Console;
using Monitor = Alerting.Protocol.Log.Monitor;

namespace Alerting.Cli.Commands;

/// <summary>
/// <c>alertctl rules import prometheus FILE</c>: translates a Prometheus alerting-rule file into
/// monitors (<see cref="PrometheusRules"/>), lists each rule it could not translate with the
/// reason on stderr, and upserts the others by name; <c>--dry-run</c> prints them as a monitor file
/// instead. Exit 1 when an alerting rule was not translated (the others are still applied);
/// recording rules are listed as skipped and do not count.
/// </summary>
internal static class RulesCommands
{
    public static async Task<int> ImportPrometheusAsync(ParsedCommand command, CliContext context, CancellationToken cancellation)
    {
        string path = command.Positionals[0];
        string text;
        if (path == "-")
        {
            text = await context.Input.ReadToEndAsync(cancellation);
        }
        else if (!File.Exists(path))
        {
            await context.Error.WriteLineAsync($"{path}: file not found");
            return ExitCodes.ValidationFailure;
        }
        else
        {
            text = await File.ReadAllTextAsync(path, cancellation);
        }

        string file = path == "-" ? "<stdin>" : path;
        PrometheusRules.Result result = PrometheusRules.Parse(file, text);
        if (result.Errors.Count > 0)
        {
            foreach (FileError error in result.Errors)
            {
                await context.Error.WriteLineAsync(error.ToString());
            }

            return ExitCodes.ValidationFailure;
        }

        int untranslated = 0;
        foreach (PrometheusRules.Rule rule in result.Rules)
        {
            string where = $"{file}:{rule.Line}: {rule.Path} ({(rule.IsRecording ? "record" : "alert")} {rule.Name})";
            if (rule.Monitor is null)
            {
                untranslated += rule.IsRecording ? 0 : 1;
                await context.Error.WriteLineAsync($"{where}: {(rule.IsRecording ? "skipped" : "not translated")}: {rule.Reason}");
            }

            foreach (string note in rule.Notes)
            {
                await context.Error.WriteLineAsync($"{where}: note: {note}");
            }
        }

        List<Monitor> monitors = result.Rules.Where(r => r.Monitor is not null).Select(r => r.Monitor!).ToList();
        int outcome = untranslated == 0 ? ExitCodes.Ok : ExitCodes.ValidationFailure;
        await context.Error.WriteLineAsync($"{monitors.Count} rule(s) translated, {untranslated} alerting rule(s) not translated, {result.Rules.Count(r => r.IsRecording)} recording rule(s) skipped");
        if (command.HasFlag("dry-run"))
        {
            if (monitors.Count > 0)
            {
                await context.Output.WriteAsync(MonitorExport.ToYaml(monitors));
            }

            return outcome;
        }

        using ServerConnection connection = context.Connect(command);
        var client = new Protocol.V1.Monitors.MonitorsClient(connection.Invoker);
        int failures = 0;
        foreach (Monitor monitor in monitors)
        {
            UpsertMonitorResponse response;
            try
            {
                response = await client.UpsertAsync(new UpsertMonitorRequest { Monitor = monitor }, cancellationToken: cancellation);
            }
            catch (RpcException e) when (!ServerConnection.IsConnectFailure(e) && e.StatusCode != StatusCode.Cancelled)
            {
                failures++;
                await context.Error.WriteLineAsync($"failed   {monitor.Name}: {e.StatusCode}: {e.Status.Detail}");
                continue;
            }

            if (command.Json)
            {
                context.Json.Write(response);
                continue;
            }

            string verb = response.Outcome switch
            {
                UpsertOutcome.Created => "created",
                UpsertOutcome.Updated => "updated",
                UpsertOutcome.Unchanged => "unchanged",
                _ => response.Outcome.ToString(),
            };
            context.Console.WriteLine($"{verb,-9} {response.Monitor.Name} (id {response.Monitor.Id}, log index {response.LogIndex})");
        }

        return failures > 0 ? ExitCodes.ServerError : outcome;
    }
}
