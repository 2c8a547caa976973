using Alerting.Protocol.Log;
using Alerting.Protocol.V1;
using Alerting.Server.Api;
using Grpc.Core;
using Xunit.Abstractions;

namespace Alerting.Server.Tests.Replication;

/// <summary>
/// Engine settings in a cluster of three real processes (data 1, data 2, witness 3): the member that
/// becomes the primary writes the configured settings, the standby applies the same entry, and a
/// standby refuses to set them with the primary's address.
/// </summary>
public sealed class ClusterEngineSettingsTests(ITestOutputHelper output)
{
    private const long TwoHours = 2 * 60 * 60 * 1000;

    [Fact]
    public async Task The_elected_primary_writes_the_configured_settings_the_standby_applies_them_and_refuses_a_set_naming_the_primary()
    {
        await using var cluster = await LocalCluster.StartAsync("--series-retention-ms", TwoHours.ToString(System.Globalization.CultureInfo.InvariantCulture));
        using var timeout = new CancellationTokenSource(LocalCluster.Patience * 2);
        var ct = timeout.Token;
        try
        {
            var primary = await cluster.WaitForPrimaryAsync(ct);
            var written = await LocalCluster.PollAsync(
                () => cluster.Admin(primary).GetEngineSettingsAsync(new GetEngineSettingsRequest(), cancellationToken: ct).ResponseAsync,
                r => r.Settings.SeriesRetentionMs == TwoHours,
                ct);
            var standby = 3 - primary;
            var status = await cluster.WaitForCaughtUpAsync(standby, written.LogIndex, ct);
            var onStandby = await cluster.Admin(standby).GetEngineSettingsAsync(new GetEngineSettingsRequest(), cancellationToken: ct);
            var refused = await Assert.ThrowsAsync<RpcException>(async () =>
                await cluster.Admin(standby).SetEngineSettingsAsync(new SetEngineSettingsRequest { Settings = new EngineSettings { SeriesSweepStep = 8 } }, cancellationToken: ct));

            Assert.Equal(written.Settings, onStandby.Settings);
            Assert.NotEmpty(status.PrimaryAddress);
            Assert.Equal(StatusCode.Unavailable, refused.StatusCode);
            Assert.Equal(status.PrimaryAddress, refused.Trailers.GetValue(EngineCalls.PrimaryTrailer));
        }
        catch
        {
            output.WriteLine(cluster.Describe());
            throw;
        }
    }
}
