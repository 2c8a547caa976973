using System.Diagnostics;
using Alerting.Server.Hosting;
using Alerting.Server.Tests.Faults;

namespace Alerting.Server.Tests;

/// <summary><c>--check</c>: the options are read and judged as a start would, without opening anything.</summary>
public sealed class ConfigurationCheckTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("alerting-check-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void Good_settings_pass_and_the_data_folder_is_not_created()
    {
        var data = Path.Combine(_folder, "data");
        var settings = Settings($$"""{ "DataDirectory": "{{data}}", "HttpPort": 7801, "ApiKeys": [ { "Key": "admin-key-0123456789", "Scopes": [ "admin" ] } ] }""");

        var (exit, output, error) = Check("--check", "--settings", settings);

        Assert.Equal(0, exit);
        Assert.Equal("", error);
        Assert.StartsWith("alerting: configuration OK", output, StringComparison.Ordinal);
        Assert.Contains("HTTP port 7801", output, StringComparison.Ordinal);
        Assert.Contains("1 API key(s)", output, StringComparison.Ordinal);
        Assert.False(Directory.Exists(data), "a check opens no data folder");
    }

    [Fact]
    public void A_misspelt_key_in_the_settings_file_is_refused_by_name()
    {
        var settings = Settings("""{ "HttpPrt": 7801 }""");

        var (exit, output, error) = Check("--check", "--settings", settings);

        Assert.Equal(StartupFailure.BadOptions, exit);
        Assert.Equal("", output);
        Assert.StartsWith("alerting: configuration refused: settings file ", error, StringComparison.Ordinal);
        Assert.Contains("HttpPrt", error, StringComparison.Ordinal);
    }

    [Fact]
    public void What_a_start_refuses_the_check_refuses_with_the_same_reason()
    {
        var (exit, _, error) = Check("--check", "--bind", "0.0.0.0");

        Assert.Equal(StartupFailure.BadOptions, exit);
        Assert.Contains("refusing to listen on 0.0.0.0 without API keys", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_server_binary_checks_and_exits_without_starting()
    {
        var data = Path.Combine(_folder, "process-data");
        var settings = Settings($$"""{ "DataDirectory": "{{data}}" }""");
        var info = new ProcessStartInfo(ServerProcess.DotnetHost()) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { Path.Combine(AppContext.BaseDirectory, "Alerting.Server.dll"), "--check", "--settings", settings })
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);

        Assert.True(process.ExitCode == 0, $"exit {process.ExitCode}: {await output}{await error}");
        Assert.StartsWith("alerting: configuration OK", await output, StringComparison.Ordinal);
        Assert.False(Directory.Exists(data), "a check opens no data folder");
    }

    private string Settings(string json)
    {
        var path = Path.Combine(_folder, $"settings-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, json);
        return path;
    }

    private static (int Exit, string Output, string Error) Check(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = ConfigurationCheck.Run(args, output, error, new Dictionary<string, string?>());
        return (exit, output.ToString(), error.ToString());
    }
}
