using Alerting.Engine.StateMachine;
using Alerting.Protocol.Log;

namespace Alerting.Server.Hosting;

/// <summary>
/// The <c>EngineSettings</c> section of the server's settings (flags <c>--series-retention-ms</c>,
/// <c>--series-sweep-step</c>, <c>--match-step-series</c>): engine settings the primary writes to the
/// log at start when the log's differ (<see cref="EngineSettingsProposer"/>). Unset values leave the
/// log's alone. They are not read by the state machine: the log is, so every replica agrees.
/// </summary>
public sealed class EngineSettingsOptions
{
    /// <summary>Log time without a point after which a series is dropped, in ms (10 min to 30 days).</summary>
    public long? SeriesRetentionMs { get; set; }

    /// <summary>Series ids the expiry sweep examines per tick (1 to 65 536).</summary>
    public int? SeriesSweepStep { get; set; }

    /// <summary>Existing series a monitor's match examines per step (1 to 65 536).</summary>
    public int? MatchStepSeries { get; set; }

    /// <summary>Whether any value is set.</summary>
    public bool IsSet => SeriesRetentionMs is not null || SeriesSweepStep is not null || MatchStepSeries is not null;

    /// <summary>The entry's body: the values set, 0 for the rest (kept).</summary>
    public EngineSettings ToProto() => new()
    {
        SeriesRetentionMs = SeriesRetentionMs ?? 0,
        SeriesSweepStep = SeriesSweepStep ?? 0,
        MatchStepSeries = MatchStepSeries ?? 0,
    };

    /// <summary>Checks the bounds; throws <see cref="ServerOptionsException"/> naming the setting as configured.</summary>
    public void Validate()
    {
        Check(SeriesRetentionMs is { } retention && retention == 0, nameof(SeriesRetentionMs));
        Check(SeriesSweepStep is { } sweep && sweep == 0, nameof(SeriesSweepStep));
        Check(MatchStepSeries is { } match && match == 0, nameof(MatchStepSeries));
        if (ReplicatedSettings.Problem(ToProto()) is { } problem)
        {
            var field = problem[..problem.IndexOf(':', StringComparison.Ordinal)];
            var name = field switch
            {
                "series_retention_ms" => nameof(SeriesRetentionMs),
                "series_sweep_step" => nameof(SeriesSweepStep),
                _ => nameof(MatchStepSeries),
            };
            throw new ServerOptionsException($"EngineSettings:{name}{problem[field.Length..]}");
        }
    }

    private static void Check(bool zero, string name)
    {
        if (zero)
        {
            throw new ServerOptionsException($"EngineSettings:{name} must be positive (leave it unset to keep the log's value), was 0");
        }
    }
}
