using Alerting.Cli.Arguments;

namespace Alerting.Cli.Commands;

/// <summary>Every command alertctl knows, in the order <c>--help</c> lists them.</summary>
internal static class CommandTable
{
    public static readonly IReadOnlyList<CommandSpec> All =
    [
        new("monitors apply", "Create or update the monitors of a YAML/JSON file, matched by name", ["file"], [], ["json", "strict"], [], MonitorCommands.ApplyAsync),
        new("monitors validate", "Check a monitor file (and, unless --local, each query on the server)", ["file"], [], ["local", "strict"], [], MonitorCommands.ValidateAsync),
        new("monitors export", "Write the server's monitors as a file monitors apply reads (--format yaml or datadog)", [], ["format", "name", "tag"], [], [], MonitorCommands.ExportAsync),
        new("monitors list", "List monitors (fetched --page-size per request, default the server's)", [], ["tag", "name", "state", "page-size"], ["json"], [], MonitorCommands.ListAsync),
        new("monitors get", "Show one monitor", [], [], ["json"], ["id"], MonitorCommands.GetAsync),
        new("monitors delete", "Delete a monitor", [], [], ["json"], ["id"], MonitorCommands.DeleteAsync),
        new("states", "Current state of every monitor group (fetched --page-size per request, default the server's)", [], ["monitor", "state", "page-size"], ["json"], [], AlertCommands.StatesAsync),
        new("alerts tail", "Print transitions live from now, or after log index --from (0 = all kept); resumes after disconnects; Ctrl+C ends", [], ["from", "monitor"], ["json"], [], AlertCommands.TailAsync),
        new("alerts history", "Past transitions of a monitor over the last --since (default 1h)", ["monitor"], ["group", "since", "limit"], ["json"], [], AlertCommands.HistoryAsync),
        new("downtimes create", "Mute a monitor, scope or group; --start defaults to now, no --end/--duration = open-ended", [], ["monitor", "scope", "group", "start", "end", "duration", "recurrence", "notify-end-types", "notify-end-states"], ["notify-end-if-alerting", "json"], [], DowntimeCommands.CreateAsync),
        new("downtimes list", "List downtimes", [], [], ["json"], [], DowntimeCommands.ListAsync),
        new("downtimes delete", "Delete a downtime", [], [], ["json"], ["id"], DowntimeCommands.DeleteAsync),
        new("completion", "Print a shell completion script for SHELL (bash or zsh): source <(alertctl completion bash)", [], [], [], ["shell"], CompletionCommand.RunAsync),
        new("write", "Write points, one 'metric{tag:value,...} value [unix_ms]' per line (no timestamp = now), from FILE or stdin; malformed lines are skipped and make the exit code 1; each batch is retried safely across --nodes until --deadline (default 10s)", [], ["file", "nodes", "deadline"], ["json"], [], WriteCommand.RunAsync),
        new("check", "Write a service check run (STATUS ok, warn, critical or unknown; --tags k:v,...), or with -f one run per line 'check{tag:value,...} STATUS [unix_ms] [| message]' from FILE or stdin; malformed lines are skipped and make the exit code 1", [], ["tags", "message", "file", "nodes", "deadline"], ["json"], ["name", "status"], CheckCommand.RunAsync) { PositionalsOptional = true },
        new("rules import prometheus", "Translate a Prometheus alerting-rule file into monitors and apply them by name (--dry-run prints them as a monitor file); each rule not translated is listed with the reason and makes the exit code 1", [], [], ["dry-run", "json"], ["file"], RulesCommands.ImportPrometheusAsync),
        new("test", "Run monitor test files (monitors, input series, expected state changes) on the engine's state machine in process, on logical time; prints a diff for each failing file and exits 1", [], [], [], ["file"], TestCommand.RunAsync) { LastPositionalRepeats = true },
        new("backtest", "Replay points through a candidate monitor (the one monitor of --monitor FILE) without changing live state, and print the transitions it would have produced between --from and --to: the points the server's journal holds, or with --points the point lines of FILE, run in process on logical time as test does", ["monitor", "from", "to"], ["points", "max-transitions"], ["json"], [], BacktestCommand.RunAsync)
        {
            ValueNames = new Dictionary<string, string>(StringComparer.Ordinal) { ["monitor"] = "FILE", ["points"] = "FILE", ["from"] = "TIME", ["to"] = "TIME", ["max-transitions"] = "N" },
        },
        new("notifications", "Per notification endpoint: its outbox cursor, pending (queued or waiting for room) and failed (rejected or given up) notifications", [], ["endpoint", "limit"], ["json"], [], NotificationCommands.ListAsync),
        new("notifications retry", "Send failed notifications again (all, or those matching --endpoint/--monitor/--group/--transition)", [], ["endpoint", "monitor", "group", "transition"], ["json"], [], NotificationCommands.RetryAsync),
        new("settings get", "Show the engine settings every replica shares: series retention, series sweep step, match step", [], [], ["json"], [], SettingsCommands.GetAsync),
        new("settings set", "Set engine settings through the log (options left out keep their values): --series-retention D (10m to 30d; series not seen for it are dropped), --series-sweep-step N and --match-step-series N (1 to 65536 series per tick)", [], ["series-retention", "series-sweep-step", "match-step-series"], ["json"], [], SettingsCommands.SetAsync)
        {
            ValueNames = new Dictionary<string, string>(StringComparer.Ordinal) { ["series-retention"] = "DURATION", ["series-sweep-step"] = "N", ["match-step-series"] = "N" },
        },
        new("cluster status", "Every node's role, term, log positions and lag (--nodes a,b,c or ALERTING_NODES; default the one --server); exit code 4 when a node does not answer", [], ["nodes", "timeout"], ["json"], [], ClusterCommands.StatusAsync),
        new("cluster up", "Start a three-node cluster on loopback (data members 1 and 2, witness 3; separate server processes, data in DIR/node-N), print each node's pid and addresses, stay in the foreground; Ctrl-C stops all three (--base-port P: gRPC P..P+2, HTTP P+10..P+12, default 7710, 0 = free ports; --server-bin: the server's dll or executable)", ["dir"], ["base-port", "server-bin"], [], [], ClusterUpCommand.RunAsync),
        new("cluster step-down", "Hand leadership over on purpose: the primary (--server, or the one it names) stops taking writes, brings node --to (default the most caught-up data member) up to date and lets it win the next term at once", [], ["to"], ["json"], [], ClusterCommands.StepDownAsync),
    ];
}
