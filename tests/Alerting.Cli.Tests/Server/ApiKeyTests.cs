using Alerting.Server.Hosting;

namespace Alerting.Cli.Tests.Server;

/// <summary>A server with API keys: alertctl sends <c>--api-key</c> or <c>ALERTING_API_KEY</c> as a bearer token.</summary>
public sealed class ApiKeyTests : IAsyncLifetime
{
    private const string AdminKey = "admin-key-0123456789abcdef";
    private const string ReadKey = "read-key-0123456789abcdef";

    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), $"alertctl-keys-{Guid.NewGuid():N}");
    private ServerHost? _host;

    private string Address => _host!.GrpcAddress.ToString().TrimEnd('/');

    public async Task InitializeAsync()
    {
        ServerOptions options = ServerFixture.Options(_dataDirectory);
        options.ApiKeys.Add(new ApiKeyOptions { Key = AdminKey, Scopes = { "admin" } });
        options.ApiKeys.Add(new ApiKeyOptions { Key = ReadKey, Scopes = { "read" } });
        _host = await ServerHost.StartAsync(options);
    }

    public async Task DisposeAsync()
    {
        await _host!.DisposeAsync();
        Directory.Delete(_dataDirectory, recursive: true);
    }

    [Fact]
    public async Task Without_a_key_the_call_is_refused_with_exit_3()
    {
        CliResult result = await CliRunner.RunAsync(["cluster", "status", "--server", Address]);

        Assert.Equal(3, result.ExitCode);
        Assert.Contains("Unauthenticated", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_key_is_taken_from_the_option_or_the_environment()
    {
        CliResult option = await CliRunner.RunAsync(["cluster", "status", "--server", Address, "--api-key", AdminKey]);
        CliResult environment = await CliRunner.RunAsync(["cluster", "status"], environment: new Dictionary<string, string>
        {
            ["ALERTING_SERVER"] = Address,
            ["ALERTING_API_KEY"] = AdminKey,
        });

        Assert.True(option.ExitCode == 0, option.ToString());
        Assert.True(environment.ExitCode == 0, environment.ToString());
    }

    [Fact]
    public async Task A_read_only_key_cannot_apply_and_each_refused_monitor_is_reported()
    {
        CliResult result = await CliRunner.RunAsync(
            ["monitors", "apply", "-f", "-", "--server", Address, "--api-key", ReadKey],
            stdin: CliAgainstServerTests.CpuMonitor("read-only", threshold: 90));

        Assert.Equal(3, result.ExitCode);
        Assert.Contains("failed   read-only: PermissionDenied", result.Error, StringComparison.Ordinal);
    }
}
