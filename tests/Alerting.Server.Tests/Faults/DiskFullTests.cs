using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Alerting.Server.Tests.Faults;

/// <summary>
/// Issue 9 item 2 on a real full disk: the real server process, its data folder on a tmpfs of a
/// few MiB, written to until the journal cannot commit. The process must stay up in a clear
/// failed state (alive, not ready, writes refused as unavailable with the reason, reads served),
/// and once there is room again a restart must bring back every acknowledged write.
/// </summary>
public sealed class DiskFullTests : IDisposable
{
    private const int SeriesPerBatch = 100;
    private const int MaxBatches = 10_000;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private readonly string _mount = Path.Combine(Path.GetTempPath(), "alerting-disk-full-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_mount))
        {
            Run("umount", _mount);
            Directory.Delete(_mount, recursive: true);
        }
    }

    [RootFact]
    public async Task A_full_disk_leaves_the_server_up_not_ready_and_refusing_writes_and_a_restart_with_room_keeps_every_acked_write()
    {
        Directory.CreateDirectory(_mount);
        Run("mount", "-t", "tmpfs", "-o", "size=6m", "tmpfs", _mount);
        var data = Path.Combine(_mount, "data");

        int acked;
        await using (var server = await ServerProcess.StartAsync(data))
        {
            using var http = new HttpClient { BaseAddress = server.Http, Timeout = Patience };
            acked = 0;
            HttpResponseMessage? refusal = null;
            for (var batch = 0; batch < MaxBatches && refusal is null; batch++)
            {
                var response = await http.PostAsJsonAsync("/v1/write", Batch(batch));
                if (response.IsSuccessStatusCode)
                {
                    acked++;
                }
                else
                {
                    refusal = response;
                }
            }

            Assert.NotNull(refusal);
            Assert.True(acked > 0, "no write was acknowledged before the disk filled");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refusal.StatusCode);
            Assert.Contains("no more writes", await refusal.Content.ReadAsStringAsync(), StringComparison.Ordinal);

            // Alive, not ready, still refusing writes with the reason, still answering reads.
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/livez")).StatusCode);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, (await http.GetAsync("/readyz")).StatusCode);
            var again = await http.PostAsJsonAsync("/v1/write", Batch(MaxBatches));
            Assert.Equal(HttpStatusCode.ServiceUnavailable, again.StatusCode);
            var status = JsonNode.Parse(await http.GetStringAsync("/v1/cluster/status"))!;
            Assert.True(long.Parse(status["appliedIndex"]!.ToString(), CultureInfo.InvariantCulture) >= acked);
            Assert.False(server.HasExited);
        }

        // Room again: a restart recovers every acknowledged batch (each brought its own series).
        Run("mount", "-o", "remount,size=64m", _mount);
        await using (var restarted = await ServerProcess.StartAsync(data))
        {
            using var http = new HttpClient { BaseAddress = restarted.Http, Timeout = Patience };
            var series = await SeriesHeldAsync(http);
            Assert.True(series >= acked * SeriesPerBatch, $"{series} series after the restart, but {acked} batches of {SeriesPerBatch} new series were acknowledged");
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/readyz")).StatusCode);
            Assert.True((await http.PostAsJsonAsync("/v1/write", Batch(MaxBatches + 1))).IsSuccessStatusCode);
        }
    }

    private static object Batch(int batch)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
        var pad = "pad:" + new string('p', 150);
        return new
        {
            points = Enumerable.Range(0, SeriesPerBatch).Select(i => new
            {
                metric = "disk.fill",
                tags = new[] { $"host:b{batch}-{i}", pad },
                unixMs = now,
                value = 1.0,
            }).ToArray(),
        };
    }

    private static async Task<long> SeriesHeldAsync(HttpClient http)
    {
        var metrics = await http.GetStringAsync("/metrics");
        var line = metrics.Split('\n').Single(l => l.StartsWith("alerting_series{", StringComparison.Ordinal) || l.StartsWith("alerting_series ", StringComparison.Ordinal));
        return (long)double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);
    }

    private static void Run(string command, params string[] args)
    {
        var info = new ProcessStartInfo(command) { RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{command} {string.Join(' ', args)} failed: {error}");
    }
}
