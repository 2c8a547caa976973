using Alerting.Engine.StateMachine;
using Alerting.Protocol.Log;
using Alerting.Protocol.V1;
using Grpc.Core;

namespace Alerting.Server.Api;

/// <summary>
/// The engine settings (series retention, step budgets): read from the state, set by writing an
/// <c>EngineSettings</c> entry, so every replica applies them at the same log index.
/// </summary>
public sealed class AdminService : Protocol.V1.Admin.AdminBase
{
    private readonly EngineCalls _engine;

    public AdminService(EngineCalls engine)
    {
        _engine = engine;
    }

    public override async Task<EngineSettingsResponse> GetEngineSettings(GetEngineSettingsRequest request, ServerCallContext context)
    {
        var (settings, index) = await _engine.Query(state => (state.Settings.ToProto(), state.AppliedIndex)).ConfigureAwait(false);
        return new EngineSettingsResponse { Settings = settings, LogIndex = (ulong)index };
    }

    public override async Task<EngineSettingsResponse> SetEngineSettings(SetEngineSettingsRequest request, ServerCallContext context)
    {
        var settings = request.Settings ?? throw Invalid("settings: is required");
        if (Refusal(settings) is { } refusal)
        {
            throw Invalid(refusal);
        }

        var applied = await _engine.WriteAsync(new LogEntry { EngineSettings = settings.Clone() }, WriteClients.Of(context), context.CancellationToken).ConfigureAwait(false);
        Engine.Invariant.Check(applied.Result.Error is null, "an engine settings entry the API checked is applied");
        var now = await _engine.Query(state => state.Settings.ToProto()).ConfigureAwait(false);
        return new EngineSettingsResponse { Settings = now, LogIndex = (ulong)applied.Index };
    }

    /// <summary>Why <paramref name="settings"/> cannot be written ("settings.field: reason"), or null.</summary>
    internal static string? Refusal(EngineSettings settings) =>
        settings.SeriesRetentionMs == 0 && settings.SeriesSweepStep == 0 && settings.MatchStepSeries == 0
            ? "settings: set at least one of series_retention_ms, series_sweep_step, match_step_series (a field left 0 keeps its value)"
            : ReplicatedSettings.Problem(settings) is { } problem ? $"settings.{problem}" : null;

    private static RpcException Invalid(string message) => new(new Status(StatusCode.InvalidArgument, message));
}
