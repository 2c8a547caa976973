using Alerting.Cli.Arguments;
using Alerting.Cli.Files;
using Alerting.Cli.Output;
using Alerting.Protocol.Log;
using Monitor = Alerting.Protocol.Log.Monitor;
using Alerting.Protocol.V1;
using Grpc.Core;
using Spectre.Console;

namespace Alerting.Cli.Commands;

/// <summary><c>alertctl monitors ...</c>: apply and validate files, list, get and delete monitors.</summary>
internal static class MonitorCommands
{
    /// <summary>Upserts every monitor of the file by name; a rejected monitor is reported and the rest still applied.</summary>
    public static async Task<int> ApplyAsync(ParsedCommand command, CliContext context, CancellationToken cancellation)
    {
        MonitorFileResult file = LoadChecked(command, context);
        if (!file.IsValid)
        {
            return ReportFileErrors(file, context);
        }

        using ServerConnection connection = context.Connect(command);
        var client = new Protocol.V1.Monitors.MonitorsClient(connection.Invoker);
        int failures = 0;
        using var progress = context.Progress.Start("applying monitors");
        // Composites after the monitors they use, so that their references resolve to the ids those got.
        var order = Enumerable.Range(0, file.Monitors.Count).OrderBy(i => file.Monitors[i].Type == "composite" ? 1 : 0).ToList();
        var appliedIds = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int step = 0; step < order.Count; step++)
        {
            int index = order[step];
            progress.Report(step, file.Monitors.Count);
            Monitor monitor = file.Monitors[index];
            Monitor request = monitor.Clone();
            request.Id = "";
            if (request.Type == "composite")
            {
                // A member named by its Datadog id (an export) or by its name in this file is the monitor just applied.
                request.Query = CompositeReferences.Rewrite(request.Query, reference => appliedIds.GetValueOrDefault(reference));
            }

            UpsertMonitorResponse response;
            try
            {
                response = await client.UpsertAsync(new UpsertMonitorRequest { Monitor = request }, cancellationToken: cancellation);
                progress.Clear();
            }
            catch (RpcException e) when (!ServerConnection.IsConnectFailure(e) && e.StatusCode != StatusCode.Cancelled)
            {
                progress.Clear();
                failures++;
                await context.Error.WriteLineAsync(e.StatusCode == StatusCode.InvalidArgument
                    ? $"failed   {monitor.Name}: {InvalidField(file, index, e.Status.Detail)}"
                    : $"failed   {monitor.Name}: {e.StatusCode}: {e.Status.Detail}");
                continue;
            }

            appliedIds.TryAdd(monitor.Name, response.Monitor.Id);
            if (file.SourceIds.TryGetValue(index, out string? sourceId))
            {
                appliedIds[sourceId] = response.Monitor.Id;
            }

            if (command.Json)
            {
                context.Json.Write(response);
                continue;
            }

            string outcome = response.Outcome switch
            {
                UpsertOutcome.Created => "created",
                UpsertOutcome.Updated => "updated",
                UpsertOutcome.Unchanged => "unchanged",
                _ => response.Outcome.ToString(),
            };
            context.Console.WriteLine($"{outcome,-9} {response.Monitor.Name} (id {response.Monitor.Id}, log index {response.LogIndex})");
        }

        return failures == 0 ? ExitCodes.Ok : ExitCodes.ServerError;
    }

    /// <summary>
    /// Checks the file locally, then (unless <c>--local</c>) asks the server to check each monitor's
    /// query and template. Exit 1 with every error and its position when anything is wrong.
    /// </summary>
    public static async Task<int> ValidateAsync(ParsedCommand command, CliContext context, CancellationToken cancellation)
    {
        MonitorFileResult file = LoadChecked(command, context);
        if (!file.IsValid)
        {
            return ReportFileErrors(file, context);
        }

        if (!command.HasFlag("local"))
        {
            using ServerConnection connection = context.Connect(command);
            var client = new Protocol.V1.Monitors.MonitorsClient(connection.Invoker);
            var errors = new List<FileError>();
            for (int i = 0; i < file.Monitors.Count; i++)
            {
                ValidateMonitorResponse response = await client.ValidateAsync(new ValidateMonitorRequest { Monitor = file.Monitors[i] }, cancellationToken: cancellation);
                errors.AddRange(response.Errors.Select(e => file.ServerError(i, e.Field, e.Column > 0 ? $"{e.Message} (column {e.Column})" : e.Message)));
            }

            if (errors.Count > 0)
            {
                return ReportFileErrors(file with { Errors = errors }, context);
            }
        }

        context.Console.WriteLine($"{file.Monitors.Count} monitor(s) valid");
        return ExitCodes.Ok;
    }

    public static async Task<int> ListAsync(ParsedCommand command, CliContext context, CancellationToken cancellation)
    {
        using ServerConnection connection = context.Connect(command);
        var client = new Protocol.V1.Monitors.MonitorsClient(connection.Invoker);
        var request = new ListMonitorsRequest
        {
            Tag = command.Value("tag") ?? "",
            NameContains = command.Value("name") ?? "",
            State = command.Value("state")?.ToUpperInvariant() ?? "",
            PageSize = AlertCommands.PageSize(command),
        };
        List<Monitor> monitors = await ListAllAsync(client, request, cancellation);
        if (command.Json)
        {
            foreach (Monitor monitor in monitors)
            {
                context.Json.Write(monitor);
            }

            return ExitCodes.Ok;
        }

        Table table = Render.Table("ID", "NAME", "TYPE", "P", "QUERY", "TAGS");
        foreach (Monitor monitor in monitors)
        {
            Render.AddRow(table, monitor.Id, monitor.Name, monitor.Type, monitor.Priority == 0 ? "-" : monitor.Priority.ToString(System.Globalization.CultureInfo.InvariantCulture), monitor.Query, string.Join(',', monitor.Tags));
        }

        context.Console.Write(table);
        return ExitCodes.Ok;
    }

    /// <summary>
    /// Writes the monitors (optionally filtered by name or tag) to stdout as YAML (default) or
    /// Datadog JSON; options Datadog has no field for are reported on stderr, one line each.
    /// </summary>
    public static async Task<int> ExportAsync(ParsedCommand command, CliContext context, CancellationToken cancellation)
    {
        string format = command.Value("format") ?? "yaml";
        if (!MonitorExport.Formats.Contains(format))
        {
            throw new UsageException($"--format must be one of {string.Join(", ", MonitorExport.Formats)}; got \"{format}\"");
        }

        using ServerConnection connection = context.Connect(command);
        var client = new Protocol.V1.Monitors.MonitorsClient(connection.Invoker);
        List<Monitor> monitors = await ListAllAsync(client, new ListMonitorsRequest { Tag = command.Value("tag") ?? "", NameContains = command.Value("name") ?? "" }, cancellation);
        var warnings = new List<string>();
        string text = format == "datadog" ? MonitorExport.ToDatadog(monitors, warnings) : MonitorExport.ToYaml(monitors);
        await context.Output.WriteAsync(text);
        await context.Output.FlushAsync(cancellation);
        foreach (string warning in warnings)
        {
            await context.Error.WriteLineAsync($"warning: {warning}");
        }

        return ExitCodes.Ok;
    }

    /// <summary>Every monitor the request matches: follows next_page_token until the last page.</summary>
    private static async Task<List<Monitor>> ListAllAsync(Protocol.V1.Monitors.MonitorsClient client, ListMonitorsRequest request, CancellationToken cancellation)
    {
        var monitors = new List<Monitor>();
        do
        {
            ListMonitorsResponse page = await client.ListAsync(request, cancellationToken: cancellation);
            monitors.AddRange(page.Monitors);
            request.PageToken = page.NextPageToken;
        }
        while (request.PageToken.Length > 0);

        return monitors;
    }

    public static async Task<int> GetAsync(ParsedCommand command, CliContext context, CancellationToken cancellation)
    {
        using ServerConnection connection = context.Connect(command);
        var client = new Protocol.V1.Monitors.MonitorsClient(connection.Invoker);
        MonitorResponse response = await client.GetAsync(new GetMonitorRequest { Id = command.Positionals[0] }, cancellationToken: cancellation);
        if (command.Json)
        {
            context.Json.Write(response.Monitor);
            return ExitCodes.Ok;
        }

        context.Console.Write(MonitorView.Describe(response.Monitor));
        return ExitCodes.Ok;
    }

    public static async Task<int> DeleteAsync(ParsedCommand command, CliContext context, CancellationToken cancellation)
    {
        using ServerConnection connection = context.Connect(command);
        var client = new Protocol.V1.Monitors.MonitorsClient(connection.Invoker);
        DeleteMonitorResponse response = await client.DeleteAsync(new DeleteMonitorRequest { Id = command.Positionals[0] }, cancellationToken: cancellation);
        if (command.Json)
        {
            context.Json.Write(response);
            return ExitCodes.Ok;
        }

        context.Console.WriteLine($"deleted {command.Positionals[0]} (log index {response.LogIndex})");
        return ExitCodes.Ok;
    }

    /// <summary>
    /// Loads the file and prints one warning per unsupported field on stderr; under <c>--strict</c>
    /// the warnings are errors instead.
    /// </summary>
    private static MonitorFileResult LoadChecked(ParsedCommand command, CliContext context)
    {
        MonitorFileResult file = MonitorFile.Load(command.Required("file"), context.Input);
        if (command.HasFlag("strict"))
        {
            return file.Warnings.Count == 0 ? file : file with { Errors = [.. file.Errors, .. file.Warnings], Warnings = [] };
        }

        foreach (FileError warning in file.Warnings)
        {
            context.Error.WriteLine($"warning: {warning}");
        }

        return file;
    }

    /// <summary>
    /// The server names proto fields (<c>monitor.options.no_data_timeframe_ms: ...</c>); the user
    /// wrote the file's names, so the error is placed at that field, as the file spells it.
    /// </summary>
    private static string InvalidField(MonitorFileResult file, int index, string detail)
    {
        const string prefix = "monitor.";
        int colon = detail.IndexOf(": ", StringComparison.Ordinal);
        if (!detail.StartsWith(prefix, StringComparison.Ordinal) || colon < 0)
        {
            return detail;
        }

        return file.ServerError(index, detail[prefix.Length..colon], detail[(colon + 2)..]).ToString();
    }

    private static int ReportFileErrors(MonitorFileResult file, CliContext context)
    {
        foreach (FileError error in file.Errors)
        {
            context.Error.WriteLine(error.ToString());
        }

        context.Error.WriteLine($"{file.Errors.Count} error(s)");
        return ExitCodes.ValidationFailure;
    }
}
