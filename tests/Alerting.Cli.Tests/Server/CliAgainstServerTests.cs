using System.Text.Json;
using Alerting.Cli.Commands;
using Alerting.Cli.Tests.Files;

namespace Alerting.Cli.Tests.Server;

/// <summary>alertctl against a real server: every command end to end over gRPC.</summary>
[Collection(ServerCollection.Name)]
public sealed class CliAgainstServerTests(ServerFixture server)
{
    /// <summary>Bound on any wait for the server, so a broken server fails the test instead of hanging it.</summary>
    private static readonly TimeSpan WaitLimit = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Apply_creates_then_reports_unchanged_then_updated()
    {
        string name = Unique("apply");
        string file = CliAppTests.TempFile(CpuMonitor(name, threshold: 90));

        CliResult first = await Run("monitors", "apply", "-f", file);
        CliResult second = await Run("monitors", "apply", "-f", file);
        File.WriteAllText(file, CpuMonitor(name, threshold: 95));
        CliResult third = await Run("monitors", "apply", "-f", file);

        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.StartsWith($"created   {name} (id ", first.Out, StringComparison.Ordinal);
        Assert.StartsWith($"unchanged {name} (id ", second.Out, StringComparison.Ordinal);
        Assert.StartsWith($"updated   {name} (id ", third.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task List_get_and_delete_find_the_applied_monitor_by_name_and_id()
    {
        string name = Unique("crud");
        string id = await ApplyAsync(CpuMonitor(name, threshold: 90));

        CliResult list = await Run("monitors", "list", "--name", name, "--json");
        CliResult table = await Run("monitors", "list", "--name", name);
        CliResult get = await Run("monitors", "get", id);
        CliResult delete = await Run("monitors", "delete", id);
        CliResult missing = await Run("monitors", "get", id);

        using (JsonDocument monitor = JsonDocument.Parse(Assert.Single(Lines(list.Out))))
        {
            Assert.Equal(id, monitor.RootElement.GetProperty("id").GetString());
            Assert.True(monitor.RootElement.GetProperty("options").GetProperty("on_arrival").GetBoolean());
        }

        Assert.Contains(name, table.Out, StringComparison.Ordinal);
        Assert.Contains("on_arrival", get.Out, StringComparison.Ordinal);
        Assert.Equal(0, delete.ExitCode);
        Assert.Equal(3, missing.ExitCode);
        Assert.Contains("NotFound", missing.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_reports_a_bad_query_from_the_server_at_its_line()
    {
        string file = CliAppTests.TempFile($"name: {Unique("bad")}\ntype: metric\nquery: \"avg(last_1m):avg:cpu{{*}} >>> 90\"\n");

        CliResult result = await Run("monitors", "validate", "-f", file);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"{file}:3:8: [0].query:", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Written_points_fire_the_monitor_and_show_in_states_history_and_tail()
    {
        string id = await ApplyAsync(CpuMonitor(Unique("fire"), threshold: 90));

        CliResult write = await Run(["write", "--json"], stdin: "system.cpu.user{host:web-1} 97.5\nsystem.cpu.user{host:web-2} 12\nnot a point\n");
        CliResult states = await Run("states", "--monitor", id, "--state", "alert", "--json");
        CliResult history = await Run("alerts", "history", "--monitor", id, "--since", "1h");
        var tailOut = new SignallingWriter();
        using var stop = new CancellationTokenSource(WaitLimit);
        Task<CliResult> tail = CliRunner.RunAsync(["alerts", "tail", "--from", "0", "--monitor", id, "--json", "--server", server.GrpcAddress], stdout: tailOut, cancellation: stop.Token);
        await tailOut.WaitFor(l => l.Contains("\"new_state\": \"ALERT\"", StringComparison.Ordinal)).WaitAsync(WaitLimit);
        await stop.CancelAsync();
        CliResult tailResult = await tail;

        Assert.True(write.ExitCode == 1, write.ToString());
        Assert.Contains("<stdin>:3: value 'a'", write.Error, StringComparison.Ordinal);
        using (JsonDocument ack = JsonDocument.Parse(Assert.Single(Lines(write.Out))))
        {
            Assert.Equal("2", ack.RootElement.GetProperty("accepted").GetString());
            Assert.NotEqual("0", ack.RootElement.GetProperty("log_index").GetString());
        }

        using (JsonDocument state = JsonDocument.Parse(Assert.Single(Lines(states.Out))))
        {
            Assert.Equal("host:web-1", state.RootElement.GetProperty("group_key").GetString());
        }

        Assert.Contains("host:web-1", history.Out, StringComparison.Ordinal);
        Assert.Contains("OK -> ALERT", history.Out, StringComparison.Ordinal);
        Assert.Equal(0, tailResult.ExitCode);
        Assert.Single(tailOut.Lines, l => l.Contains("\"new_state\": \"ALERT\"", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_example_points_file_makes_the_example_cpu_monitor_fire_for_web_1()
    {
        string monitors = File.ReadAllText(MonitorFileTests.ExamplePath("monitors.yaml")).Replace("name: ", $"name: {Unique("example")} ", StringComparison.Ordinal);
        CliResult apply = await Run(["monitors", "apply", "-f", "-", "--json"], stdin: monitors);
        string cpuId = Lines(apply.Out).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("monitor"))
            .Single(m => m.GetProperty("query").GetString()!.Contains("system.cpu.user", StringComparison.Ordinal)).GetProperty("id").GetString()!;

        CliResult write = await Run("write", "-f", MonitorFileTests.ExamplePath("points.txt"));
        CliResult states = await Run("states", "--monitor", cpuId);

        Assert.True(apply.ExitCode == 0, apply.ToString());
        Assert.Equal(3, Lines(apply.Out).Count);
        Assert.True(write.ExitCode == 0, write.ToString());
        Assert.StartsWith("accepted 3, rejected 0, malformed lines 0, durable up to log index ", write.Out, StringComparison.Ordinal);
        string web1 = Assert.Single(Lines(states.Out), l => l.Contains("host:web-1", StringComparison.Ordinal));
        Assert.Contains("ALERT", web1, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Only_the_first_malformed_lines_are_listed_one_by_one()
    {
        string lines = string.Concat(Enumerable.Range(1, WriteCommand.MaxReportedLineErrors + 5).Select(i => $"bad{i}\n")) + "write.limit.test 1\n";

        CliResult result = await Run(["write"], stdin: lines);

        Assert.Equal(1, result.ExitCode);
        Assert.Equal(WriteCommand.MaxReportedLineErrors + 1, Lines(result.Error).Count);
        Assert.EndsWith("... and 5 more malformed line(s)", result.Error.TrimEnd(), StringComparison.Ordinal);
        Assert.StartsWith("accepted 1,", result.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task List_filters_by_state_tag_and_name()
    {
        string name = Unique("filter");
        string id = await ApplyAsync(CpuMonitor(name, threshold: 50) + "\ntags: [filter:yes]\n");
        await Run(["write"], stdin: "system.cpu.user{host:filter-1} 75\n");

        CliResult alerting = await Run("monitors", "list", "--state", "alert", "--json");
        CliResult tagged = await Run("monitors", "list", "--tag", "filter:yes", "--name", name, "--json");
        CliResult other = await Run("monitors", "list", "--tag", "filter:no", "--name", name, "--json");

        Assert.Contains($"\"id\": \"{id}\"", alerting.Out, StringComparison.Ordinal);
        Assert.Single(Lines(tagged.Out));
        Assert.Empty(Lines(other.Out));
    }

    [Fact]
    public async Task Downtimes_are_created_listed_and_deleted()
    {
        string id = await ApplyAsync(CpuMonitor(Unique("downtime"), threshold: 90));

        CliResult create = await Run("downtimes", "create", "--monitor", id, "--scope", "host:web-1", "--duration", "1h", "--json");
        string downtimeId;
        using (JsonDocument created = JsonDocument.Parse(Assert.Single(Lines(create.Out))))
        {
            downtimeId = created.RootElement.GetProperty("downtime").GetProperty("id").GetString()!;
        }

        CliResult list = await Run("downtimes", "list");
        CliResult delete = await Run("downtimes", "delete", downtimeId);
        CliResult after = await Run("downtimes", "list", "--json");

        Assert.True(create.ExitCode == 0, create.ToString());
        Assert.Contains(downtimeId, list.Out, StringComparison.Ordinal);
        Assert.Contains("host:web-1", list.Out, StringComparison.Ordinal);
        Assert.Equal(0, delete.ExitCode);
        Assert.DoesNotContain(downtimeId, after.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cluster_status_reports_the_node_and_its_log_positions()
    {
        CliResult json = await Run("cluster", "status", "--json");
        CliResult human = await Run("cluster", "status");

        using JsonDocument status = JsonDocument.Parse(json.Out);
        Assert.Equal("node-1", status.RootElement.GetProperty("node_id").GetString());
        Assert.Contains("applied index", human.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task States_and_monitors_list_follow_page_tokens_and_print_what_one_page_prints()
    {
        string prefix = Unique("pages");
        var ids = new List<string>();
        for (int i = 0; i < 5; i++)
        {
            ids.Add(await ApplyAsync(CpuMonitor($"{prefix}-{i}", threshold: 90)));
        }

        string points = string.Concat(Enumerable.Range(0, 7).Select(i => $"system.cpu.user{{host:{prefix}-h{i}}} {(i % 2 == 0 ? 95 : 5)}\n"));
        CliResult write = await Run(["write"], stdin: points);
        CliResult statesPaged = await Run("states", "--monitor", ids[2], "--page-size", "2", "--json");
        CliResult statesWhole = await Run("states", "--monitor", ids[2], "--json");
        CliResult tablePaged = await Run("states", "--monitor", ids[2], "--page-size", "3");
        CliResult tableWhole = await Run("states", "--monitor", ids[2]);
        CliResult listPaged = await Run("monitors", "list", "--name", prefix, "--page-size", "2", "--json");
        CliResult listWhole = await Run("monitors", "list", "--name", prefix, "--json");
        CliResult badSize = await Run("states", "--page-size", "0");

        Assert.True(write.ExitCode == 0, write.ToString());
        List<string> paged = Lines(statesPaged.Out);
        Assert.True(paged.Count >= 7, statesPaged.ToString());
        Assert.Equal(Lines(statesWhole.Out), paged);
        Assert.Equal(7, paged.Count(l => l.Contains($"host:{prefix}-h", StringComparison.Ordinal)));
        Assert.Equal(tableWhole.Out, tablePaged.Out);
        Assert.Equal(0, tablePaged.ExitCode);
        Assert.Equal(ids, Lines(listPaged.Out).Select(l =>
        {
            using JsonDocument monitor = JsonDocument.Parse(l);
            return monitor.RootElement.GetProperty("id").GetString()!;
        }));
        Assert.Equal(Lines(listWhole.Out), Lines(listPaged.Out));
        Assert.Equal(2, badSize.ExitCode);
        Assert.Contains("--page-size", badSize.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Server_rejections_exit_3_with_status_and_detail()
    {
        CliResult result = await Run("states", "--state", "PURPLE");

        Assert.Equal(3, result.ExitCode);
        Assert.Contains("InvalidArgument", result.Error, StringComparison.Ordinal);
    }

    internal static string CpuMonitor(string name, double threshold) => $$$"""
        name: {{{name}}}
        type: metric
        query: "avg(last_1m):avg:system.cpu.user{*} by {host} > {{{threshold}}}"
        message: "CPU on {{host.name}} is {{value}}"
        options:
          on_arrival: true
          new_group_delay: 0
        """;

    internal static List<string> Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();

    private static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..20];

    private async Task<string> ApplyAsync(string yaml)
    {
        CliResult result = await Run(["monitors", "apply", "-f", "-", "--json"], stdin: yaml);
        Assert.True(result.ExitCode == 0, result.ToString());
        using JsonDocument response = JsonDocument.Parse(result.Out);
        return response.RootElement.GetProperty("monitor").GetProperty("id").GetString()!;
    }

    private Task<CliResult> Run(params string[] args) => Run(args, stdin: "");

    private Task<CliResult> Run(string[] args, string stdin) =>
        CliRunner.RunAsync([.. args, "--server", server.GrpcAddress], stdin);
}
