using Alerting.Engine.Monitors;
using Alerting.Engine.State;
using Alerting.Protocol.Log;

namespace Alerting.Engine.Tests.State;

/// <summary>Drives one group through <see cref="StateProcessor"/> for scenario tests.</summary>
internal sealed class GroupRun
{
    public const long T0 = 1_700_000_000_000;
    public const long Minute = 60_000;

    private ListSink _sink = new();
    private GroupState _state;
    private long _logIndex;

    public GroupRun(MonitorOptions options, Comparator comparator = Comparator.Greater, string groupKey = "host:a", ulong queryHash = 1)
        : this(MonitorRules.FromProto("m1", MonitorKind.Metric, queryHash, comparator, options), groupKey)
    {
    }

    public GroupRun(MonitorRules rules, string groupKey = "host:a")
    {
        Rules = rules;
        _state = GroupState.Create(groupKey, T0);
    }

    public MonitorRules Rules { get; private set; }

    public GroupState State => _state;

    public List<TransitionEvent> Events => _sink.Events;

    public static MonitorOptions Options(double critical, double? warning = null, double? criticalRecovery = null, double? warningRecovery = null)
    {
        var t = new Thresholds { Critical = critical };
        if (warning is { } w)
        {
            t.Warning = w;
        }

        if (criticalRecovery is { } cr)
        {
            t.CriticalRecovery = cr;
        }

        if (warningRecovery is { } wr)
        {
            t.WarningRecovery = wr;
        }

        return new MonitorOptions { Thresholds = t };
    }

    /// <summary>Evaluates at T0 + <paramref name="minutes"/> minutes; null value = no data. Returns the events of this call.</summary>
    public List<TransitionEvent> At(double minutes, double? value, bool fullWindow = true, MuteStatus mute = default)
    {
        int before = Events.Count;
        var outcome = value is { } v ? EvaluationOutcome.Of(v, Time(minutes), fullWindow) : EvaluationOutcome.NoData;
        StateProcessor.Evaluate(Rules, ref _state, Time(minutes), in outcome, mute, ++_logIndex, ref _sink);
        return Events.GetRange(before, Events.Count - before);
    }

    /// <summary>Evaluates at T0 + <paramref name="minutes"/> minutes with an explicit outcome (e.g. a window of old points).</summary>
    public List<TransitionEvent> At(double minutes, EvaluationOutcome outcome, MuteStatus mute = default)
    {
        int before = Events.Count;
        StateProcessor.Evaluate(Rules, ref _state, Time(minutes), in outcome, mute, ++_logIndex, ref _sink);
        return Events.GetRange(before, Events.Count - before);
    }

    public List<TransitionEvent> Mute(double minutes, MuteStatus mute)
    {
        int before = Events.Count;
        StateProcessor.UpdateMute(Rules, ref _state, Time(minutes), mute, ++_logIndex, ref _sink);
        return Events.GetRange(before, Events.Count - before);
    }

    public List<TransitionEvent> Edit(double minutes, MonitorRules newRules)
    {
        int before = Events.Count;
        StateProcessor.OnMonitorEdited(Rules, newRules, ref _state, Time(minutes), ++_logIndex, ref _sink);
        Rules = newRules;
        return Events.GetRange(before, Events.Count - before);
    }

    public List<TransitionEvent> Delete(double minutes)
    {
        int before = Events.Count;
        StateProcessor.OnMonitorDeleted(Rules, ref _state, Time(minutes), ++_logIndex, ref _sink);
        return Events.GetRange(before, Events.Count - before);
    }

    public static long Time(double minutes) => T0 + (long)(minutes * Minute);
}
