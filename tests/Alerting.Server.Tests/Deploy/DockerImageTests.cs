using System.Diagnostics;

namespace Alerting.Server.Tests.Deploy;

/// <summary>
/// The Dockerfile at the repository root builds, and its image runs the server as a non-root user
/// with the data volume and a health check. Needs a reachable Docker daemon that can pull the .NET
/// base images named by ALERTING_TEST_SDK_IMAGE and ALERTING_TEST_RUNTIME_IMAGE (the Dockerfile's
/// SDK_IMAGE and RUNTIME_IMAGE build arguments); skipped with the reason otherwise.
/// </summary>
public sealed class DockerImageTests
{
    private static readonly TimeSpan BuildPatience = TimeSpan.FromMinutes(30);

    [DockerFact]
    public async Task The_Dockerfile_builds_an_image_that_runs_as_non_root_with_a_data_volume_and_health_check()
    {
        var tag = $"alerting-test:{Guid.NewGuid():N}";
        var (built, buildOutput) = await RunAsync(
            BuildPatience,
            "build",
            "-t",
            tag,
            "--build-arg",
            $"SDK_IMAGE={BaseImages()[0]}",
            "--build-arg",
            $"RUNTIME_IMAGE={BaseImages()[1]}",
            RepositoryRoot());
        Assert.True(built == 0, $"docker build failed: {buildOutput}");
        try
        {
            var (inspected, config) = await RunAsync(TestServer.Patience, "image", "inspect", "--format", "{{.Config.User}}|{{json .Config.Volumes}}|{{json .Config.Healthcheck.Test}}", tag);
            Assert.Equal(0, inspected);
            var parts = config.Trim().Split('|');
            Assert.Equal("app", parts[0]);
            Assert.Contains("\"/data\"", parts[1], StringComparison.Ordinal);
            Assert.Contains("/readyz", parts[2], StringComparison.Ordinal);
        }
        finally
        {
            _ = await RunAsync(TestServer.Patience, "image", "rm", "--force", tag);
        }
    }

    /// <summary>The SDK and runtime base images, from the environment (none is named in the repository).</summary>
    private static List<string> BaseImages() =>
        [.. BaseImageVariables.Select(name => Environment.GetEnvironmentVariable(name) ?? string.Empty)];

    private static readonly string[] BaseImageVariables = ["ALERTING_TEST_SDK_IMAGE", "ALERTING_TEST_RUNTIME_IMAGE"];

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Dockerfile")) && File.Exists(Path.Combine(dir.FullName, "Alerting.sln")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException("no folder above the tests holds the Dockerfile and Alerting.sln");
    }

    internal static async Task<(int Exit, string Output)> RunAsync(TimeSpan patience, params string[] arguments)
    {
        var info = new ProcessStartInfo("docker") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(patience);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            return (-1, $"docker {string.Join(' ', arguments)} did not finish within {patience}");
        }

        return (process.ExitCode, (await output) + (await error));
    }

    /// <summary>Skipped, with the reason, where no Docker daemon answers.</summary>
    [AttributeUsage(AttributeTargets.Method)]
    private sealed class DockerFactAttribute : FactAttribute
    {
        public DockerFactAttribute()
        {
            try
            {
                var (exit, output) = RunAsync(TimeSpan.FromSeconds(15), "version", "--format", "{{.Server.Version}}").GetAwaiter().GetResult();
                if (exit != 0)
                {
                    Skip = $"no Docker daemon answers here ({output.Trim().Split('\n')[^1]})";
                    return;
                }

                if (BaseImages().Any(string.IsNullOrEmpty))
                {
                    Skip = "ALERTING_TEST_SDK_IMAGE and ALERTING_TEST_RUNTIME_IMAGE do not name the .NET base images to build from";
                    return;
                }

                // A daemon that cannot reach the base images' registry cannot build either.
                foreach (var image in BaseImages())
                {
                    var (pulled, pullOutput) = RunAsync(TimeSpan.FromMinutes(10), "pull", image).GetAwaiter().GetResult();
                    if (pulled != 0)
                    {
                        Skip = $"cannot pull the base image {image} ({pullOutput.Trim().Split('\n')[^1]})";
                        return;
                    }
                }
            }
            catch (System.ComponentModel.Win32Exception e)
            {
                Skip = $"docker is not installed ({e.Message})";
            }
        }
    }
}
