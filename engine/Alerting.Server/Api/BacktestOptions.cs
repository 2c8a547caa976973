using Alerting.Server.Hosting;

namespace Alerting.Server.Api;

/// <summary>
/// The <c>Backtest</c> section of the settings: the bounds of one <c>Monitors.Backtest</c> call
/// (docs/cli.md, "alertctl backtest"). Each is named in the RESOURCE_EXHAUSTED a call gets when it crosses it.
/// </summary>
public sealed class BacktestOptions
{
    /// <summary>Journal entries one backtest reads, from the oldest kept: two snapshot intervals at the default, so the whole journal a node keeps.</summary>
    public const long DefaultMaxEntriesScanned = 4_000_000;

    /// <summary>Points and check runs one backtest replays through its private engine.</summary>
    public const long DefaultMaxPointsReplayed = 50_000_000;

    /// <summary>Backtests running at once; each takes a core while it scans.</summary>
    public const int DefaultMaxConcurrent = 2;

    /// <summary>Transitions returned when the request leaves <c>max_transitions</c> at 0.</summary>
    public const int DefaultMaxTransitions = 1_000;

    /// <summary>Largest <c>max_transitions</c> a request may ask for.</summary>
    public const int MaxTransitionsLimit = 10_000;

    public long MaxEntriesScanned { get; set; } = DefaultMaxEntriesScanned;

    public long MaxPointsReplayed { get; set; } = DefaultMaxPointsReplayed;

    public int MaxConcurrent { get; set; } = DefaultMaxConcurrent;

    /// <summary>Checks the settings; throws <see cref="ServerOptionsException"/> naming the one that is wrong.</summary>
    public void Validate()
    {
        if (MaxEntriesScanned <= 0)
        {
            throw new ServerOptionsException($"Backtest:MaxEntriesScanned must be positive, was {MaxEntriesScanned}");
        }

        if (MaxPointsReplayed <= 0)
        {
            throw new ServerOptionsException($"Backtest:MaxPointsReplayed must be positive, was {MaxPointsReplayed}");
        }

        if (MaxConcurrent <= 0)
        {
            throw new ServerOptionsException($"Backtest:MaxConcurrent must be positive, was {MaxConcurrent}");
        }
    }
}
