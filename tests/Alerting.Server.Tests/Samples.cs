using Alerting.Protocol.Log;
using Alerting.Protocol.V1;
using Monitor = Alerting.Protocol.Log.Monitor;

namespace Alerting.Server.Tests;

/// <summary>Definitions and points the tests share.</summary>
internal static class Samples
{
    public const string CpuQuery = "avg(last_1m):avg:cpu{*} by {host} > 90";

    /// <summary>A monitor that alerts on a host's first point (new_group_delay 0; left out, the API sets Datadog's 60 s).</summary>
    public static Monitor CpuMonitor(string name = "cpu high") => new()
    {
        Name = name,
        Type = "metric",
        Query = CpuQuery,
        Message = "cpu is high",
        Options = new MonitorOptions { NewGroupDelayMs = 0, OnArrival = true },
    };

    public static WriteRequest Cpu(string host, double value, ulong batchId = 1) => new()
    {
        BatchId = batchId,
        Points = { new Point { Metric = "cpu", Tags = { "host:" + host }, UnixMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), Value = value } },
    };
}
