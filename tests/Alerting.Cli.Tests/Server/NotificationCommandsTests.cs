using System.Text.Json;
using Alerting.Protocol.V1;
using Alerting.Server.Hosting;
using Alerting.Server.Notifications;
using Grpc.Net.Client;

namespace Alerting.Cli.Tests.Server;

/// <summary><c>alertctl notifications</c> and <c>notifications retry</c> against a server whose only endpoint cannot be reached.</summary>
public sealed class NotificationCommandsTests : IAsyncLifetime
{
    private static readonly TimeSpan WaitLimit = TimeSpan.FromSeconds(30);

    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), $"alertctl-notify-{Guid.NewGuid():N}");
    private ServerHost? _host;

    private ServerHost Host => _host ?? throw new InvalidOperationException("the server is not started");

    private string Address => Host.GrpcAddress.ToString().TrimEnd('/');

    public async Task InitializeAsync()
    {
        var options = ServerFixture.Options(_dataDirectory);
        // Port 9 (discard) is closed on loopback: every attempt is a network error, and one attempt is all it gets.
        options.Notifications.Endpoints.Add(new NotificationEndpointOptions { Name = "ops", Type = "webhook", Url = "http://127.0.0.1:9/hook" });
        options.Notifications.Default.Add("ops");
        options.Notifications.Delivery.MaxAttempts = 1;
        _host = await ServerHost.StartAsync(options);
    }

    public async Task DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }

        Directory.Delete(_dataDirectory, recursive: true);
    }

    [Fact]
    public async Task A_delivery_that_gave_up_is_listed_as_failed_and_retry_sends_it_again()
    {
        using var timeout = new CancellationTokenSource(WaitLimit);
        CliResult apply = await CliRunner.RunAsync(["monitors", "apply", "-f", "-", "--server", Address], CliAgainstServerTests.CpuMonitor("notify-cli", threshold: 90));
        Assert.True(apply.ExitCode == 0, apply.ToString());
        CliResult write = await CliRunner.RunAsync(["write", "--server", Address], "system.cpu.user{host:web-1} 97.5\n");
        Assert.True(write.ExitCode == 0, write.ToString());
        await WaitForFailedAttempts(1, timeout.Token);

        CliResult table = await CliRunner.RunAsync(["notifications", "--server", Address]);
        CliResult json = await CliRunner.RunAsync(["notifications", "--endpoint", "ops", "--json", "--server", Address]);
        CliResult retry = await CliRunner.RunAsync(["notifications", "retry", "--endpoint", "ops", "--group", "host:web-1", "--server", Address]);
        await WaitForFailedAttempts(2, timeout.Token);
        CliResult unknown = await CliRunner.RunAsync(["notifications", "--endpoint", "nope", "--server", Address]);

        Assert.True(table.ExitCode == 0, table.ToString());
        Assert.Contains("gave_up", table.Out, StringComparison.Ordinal);
        Assert.Contains("/host:web-1/1", table.Out, StringComparison.Ordinal);
        using (JsonDocument endpoint = JsonDocument.Parse(Assert.Single(CliAgainstServerTests.Lines(json.Out))))
        {
            Assert.Equal("ops", endpoint.RootElement.GetProperty("endpoint").GetString());
            var failed = Assert.Single(endpoint.RootElement.GetProperty("failed_notifications").EnumerateArray().ToList());
            Assert.Equal("host:web-1", failed.GetProperty("group_key").GetString());
            Assert.Equal("gave_up", failed.GetProperty("outcome").GetString());
            Assert.Contains("network error", failed.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }

        Assert.True(retry.ExitCode == 0, retry.ToString());
        Assert.Contains("re-queued 1 failed notification(s)", retry.Out, StringComparison.Ordinal);
        Assert.Equal(3, unknown.ExitCode);
        Assert.Contains("NotFound", unknown.Error, StringComparison.Ordinal);
    }

    /// <summary>Waits, applied entry by applied entry, until <paramref name="attempts"/> delivery records are applied (each try that gives up writes one) and one failure is listed.</summary>
    private async Task WaitForFailedAttempts(int attempts, CancellationToken cancellation)
    {
        var node = Host.Node;
        using var channel = GrpcChannel.ForAddress(Host.GrpcAddress);
        var client = new Protocol.V1.Notifications.NotificationsClient(channel);
        while (true)
        {
            var applied = node.Progress.AppliedIndex;
            var written = await node.TryQuery(s => s.NotificationsDelivered)!;
            var list = await client.ListAsync(new ListNotificationsRequest(), cancellationToken: cancellation);
            if (written >= attempts && list.Endpoints[0].FailedNotifications.Count == 1)
            {
                return;
            }

            await node.Progress.WaitForAsync(applied + 1, cancellation);
        }
    }
}
