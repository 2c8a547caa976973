using Alerting.Cli.Arguments;

namespace Alerting.Cli.Commands;

/// <summary>Every command alertctl knows, in the order <c>--help</c> lists them.</summary>
internal static class CommandTable
{
    public static readonly IReadOnlyList<CommandSpec> All =
    [
        new("monitors apply", "Create or update the monitors of a YAML/JSON file, matched by name", ["file"], [], ["json"], [], MonitorCommands.ApplyAsync),
        new("monitors validate", "Check a monitor file (and, unless --local, each query on the server)", ["file"], [], ["local"], [], MonitorCommands.ValidateAsync),
        new("monitors list", "List monitors", [], ["tag", "name", "state"], ["json"], [], MonitorCommands.ListAsync),
        new("monitors get", "Show one monitor", [], [], ["json"], ["id"], MonitorCommands.GetAsync),
        new("monitors delete", "Delete a monitor", [], [], ["json"], ["id"], MonitorCommands.DeleteAsync),
        new("states", "Current state of every monitor group", [], ["monitor", "state"], ["json"], [], AlertCommands.StatesAsync),
        new("alerts tail", "Print transitions live (resumes after disconnects)", [], ["from", "monitor"], ["json"], [], AlertCommands.TailAsync),
        new("alerts history", "Past transitions of a monitor", ["monitor"], ["group", "since", "limit"], ["json"], [], AlertCommands.HistoryAsync),
        new("downtimes create", "Mute a monitor, scope or group for a while", [], ["monitor", "scope", "group", "start", "end", "duration", "recurrence"], ["notify-end-if-alerting", "json"], [], DowntimeCommands.CreateAsync),
        new("downtimes list", "List downtimes", [], [], ["json"], [], DowntimeCommands.ListAsync),
        new("downtimes delete", "Delete a downtime", [], [], ["json"], ["id"], DowntimeCommands.DeleteAsync),
        new("write", "Write points, one 'metric{tag:value,...} value [unix_ms]' per line, from a file or stdin", [], ["file"], ["json"], [], WriteCommand.RunAsync),
        new("cluster status", "Node role, term and log positions", [], [], ["json"], [], ClusterCommands.StatusAsync),
    ];
}
