using System.Text.Json;
using Alerting.Cli.Output;
using YamlDotNet.RepresentationModel;

namespace Alerting.Cli.Tests.Server;

/// <summary>--output yaml on the read commands, and the progress line of long operations, against a real server.</summary>
[Collection(ServerCollection.Name)]
public sealed class OutputAndProgressTests(ServerFixture server)
{
    [Fact]
    public async Task Yaml_output_holds_the_same_objects_as_json_output()
    {
        string name = $"yaml-{Guid.NewGuid():N}"[..20];
        CliResult apply = await Run(["monitors", "apply", "-f", "-", "--output", "yaml"], CliAgainstServerTests.CpuMonitor(name, threshold: 90));
        Assert.True(apply.ExitCode == 0, apply.ToString());
        await Run(["write", "-f", "-"], "system.cpu.user{host:yaml-1} 99\n");
        string id = JsonDocument.Parse((await Run(["monitors", "list", "--name", name, "--json"])).Out).RootElement.GetProperty("id").GetString()!;

        // Objects that do not change between the two reads compare whole; a cluster status (log positions move) by its fields.
        foreach (string[] read in new[] { new[] { "monitors", "list", "--name", name }, ["states", "--monitor", id], ["monitors", "get", id], ["cluster", "status"] })
        {
            CliResult json = await Run([.. read, "--output", "json"]);
            CliResult yaml = await Run([.. read, "--output", "yaml"]);
            Assert.True(json.ExitCode == 0 && yaml.ExitCode == 0, json + "\n" + yaml);

            bool fieldsOnly = read[0] == "cluster";
            var fromJson = CliAgainstServerTests.Lines(json.Out).Select(l => Canonical(JsonDocument.Parse(l).RootElement, fieldsOnly)).ToList();
            var stream = new YamlStream();
            stream.Load(new StringReader(yaml.Out));
            var fromYaml = stream.Documents.Select(d => Canonical(d.RootNode, fieldsOnly)).ToList();
            Assert.NotEmpty(fromJson);
            Assert.Equal(fromJson, fromYaml);
            Assert.StartsWith("---\n", yaml.Out, StringComparison.Ordinal);
        }

        CliResult applied = await Run(["monitors", "list", "--name", name, "--output", "yaml"]);
        Assert.Contains($"name: {name}\n", applied.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Apply_and_write_draw_progress_on_a_terminal_stderr_and_nothing_when_it_is_redirected()
    {
        string prefix = $"prog-{Guid.NewGuid():N}"[..14];
        string monitors = string.Join("\n", Enumerable.Range(0, 3).Select(i => "- " + CliAgainstServerTests.CpuMonitor($"{prefix}-{i}", 90).Replace("\n", "\n  ", StringComparison.Ordinal)));
        string file = CliAppTests.TempFile(monitors);
        string points = CliAppTests.TempFile(string.Concat(Enumerable.Range(0, 2500).Select(i => $"progress.test{{host:h{i % 7}}} {i}\n")), ".txt");

        var terminal = new StringWriter();
        CliResult apply = await RunWithTerminal(["monitors", "apply", "-f", file], terminal);
        string applyProgress = terminal.ToString();
        terminal.GetStringBuilder().Clear();
        CliResult write = await RunWithTerminal(["write", "-f", points], terminal);
        string writeProgress = terminal.ToString();
        CliResult redirected = await Run(["monitors", "apply", "-f", file]);

        Assert.True(apply.ExitCode == 0, apply.ToString());
        Assert.Equal(3, CliAgainstServerTests.Lines(apply.Out).Count);
        Assert.StartsWith(ProgressLine.ClearLine + "applying monitors 0/3 (0%)", applyProgress, StringComparison.Ordinal);
        Assert.EndsWith(ProgressLine.ClearLine, applyProgress, StringComparison.Ordinal);
        Assert.DoesNotContain("applying", apply.Error, StringComparison.Ordinal);

        Assert.True(write.ExitCode == 0, write.ToString());
        Assert.StartsWith("accepted 2500,", write.Out, StringComparison.Ordinal);
        Assert.StartsWith(ProgressLine.ClearLine + "writing 0 items (", writeProgress, StringComparison.Ordinal);
        Assert.Contains($"% of {points})", writeProgress, StringComparison.Ordinal);
        Assert.EndsWith(ProgressLine.ClearLine, writeProgress, StringComparison.Ordinal);

        Assert.True(redirected.ExitCode == 0, redirected.ToString());
        Assert.Equal("", redirected.Error);
    }

    /// <summary>A JSON or YAML value as text with sorted keys and scalars as strings (YAML has no types to compare).</summary>
    private static string Canonical(JsonElement element, bool fieldsOnly) => element.ValueKind switch
    {
        JsonValueKind.Object => "{" + string.Join(",", element.EnumerateObject().OrderBy(p => p.Name, StringComparer.Ordinal).Select(p => p.Name + ":" + Canonical(p.Value, fieldsOnly))) + "}",
        JsonValueKind.Array => "[" + string.Join(",", element.EnumerateArray().Select(e => Canonical(e, fieldsOnly))) + "]",
        _ when fieldsOnly => "_",
        JsonValueKind.String => element.GetString()!,
        JsonValueKind.Null => "",
        _ => element.GetRawText(),
    };

    private static string Canonical(YamlNode node, bool fieldsOnly) => node switch
    {
        YamlMappingNode map => "{" + string.Join(",", map.Children.OrderBy(c => ((YamlScalarNode)c.Key).Value, StringComparer.Ordinal).Select(c => ((YamlScalarNode)c.Key).Value + ":" + Canonical(c.Value, fieldsOnly))) + "}",
        YamlSequenceNode list => "[" + string.Join(",", list.Children.Select(c => Canonical(c, fieldsOnly))) + "]",
        YamlScalarNode when fieldsOnly => "_",
        YamlScalarNode scalar => scalar.Value ?? "",
        _ => throw new InvalidOperationException("unexpected YAML node " + node.NodeType),
    };

    private Task<CliResult> Run(string[] args, string stdin = "") =>
        CliRunner.RunAsync([.. args, "--server", server.GrpcAddress], stdin);

    private Task<CliResult> RunWithTerminal(string[] args, StringWriter terminal) =>
        CliRunner.RunAsync([.. args, "--server", server.GrpcAddress], progressTerminal: terminal);
}
