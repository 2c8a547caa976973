using System.Net;
using System.Net.Sockets;

namespace Alerting.Cli.Tests;

public sealed class CliAppTests
{
    [Theory]
    [InlineData("--help")]
    [InlineData("help")]
    [InlineData("monitors", "--help")]
    public async Task Help_documents_every_command_and_the_exit_codes(params string[] args)
    {
        CliResult result = await CliRunner.RunAsync(args);

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("alertctl monitors apply --file FILE", result.Out, StringComparison.Ordinal);
        Assert.Contains("4  cannot connect", result.Out, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("frobnicate")]
    [InlineData("monitors", "list", "--bogus")]
    [InlineData("monitors", "get")]
    [InlineData("alerts", "history", "--monitor", "m", "--since", "forever")]
    [InlineData("alerts", "history", "--monitor", "m", "--limit", "-1")]
    [InlineData("cluster", "status", "--server", "not a url")]
    [InlineData("cluster", "status", "--server", "ftp://host")]
    public async Task Usage_errors_exit_with_2_and_explain_on_stderr(params string[] args)
    {
        CliResult result = await CliRunner.RunAsync(args);

        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith("error: ", result.Error, StringComparison.Ordinal);
        Assert.Equal("", result.Out);
    }

    [Fact]
    public async Task Validate_exits_1_with_every_error_and_its_position_without_contacting_a_server()
    {
        string file = TempFile("- name: a\n  type: metric\n  query: q\n  colour: red\n  options: {for: 5 minutes}\n");

        CliResult result = await CliRunner.RunAsync(["monitors", "validate", "-f", file, "--server", "http://127.0.0.1:1"]);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"{file}:4:3: [0]: unknown field 'colour'", result.Error, StringComparison.Ordinal);
        Assert.Contains($"{file}:5:18: [0].options.for:", result.Error, StringComparison.Ordinal);
        Assert.Contains("2 error(s)", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_local_accepts_a_valid_file_with_exit_0()
    {
        CliResult result = await CliRunner.RunAsync(["monitors", "validate", "--local", "-f", "-"], stdin: "name: a\ntype: metric\nquery: q\n");

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("1 monitor(s) valid", result.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Apply_of_an_invalid_file_exits_1_before_connecting()
    {
        CliResult result = await CliRunner.RunAsync(["monitors", "apply", "-f", "-", "--server", "http://127.0.0.1:1"], stdin: "name: a\n");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("[0].type: is required", result.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("cluster", "status")]
    [InlineData("alerts", "tail", "--from", "0")]
    [InlineData("write", "--deadline", "2s")]
    [InlineData("monitors", "apply", "-f", "-")]
    public async Task A_server_nobody_listens_on_exits_4(params string[] args)
    {
        string server = $"http://127.0.0.1:{FreePort()}";

        CliResult result = await CliRunner.RunAsync(
            args,
            stdin: args[0] == "write" ? "m 1\n" : "name: a\ntype: metric\nquery: q\n",
            environment: new Dictionary<string, string> { ["ALERTING_SERVER"] = server });

        Assert.True(result.ExitCode == 4, result.ToString());
        Assert.Contains("cannot connect", result.Error, StringComparison.Ordinal);
    }

    internal static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    internal static string TempFile(string text, string extension = ".yaml")
    {
        string path = Path.Combine(Path.GetTempPath(), $"alertctl-{Guid.NewGuid():N}{extension}");
        File.WriteAllText(path, text);
        return path;
    }
}
