using Alerting.Engine.Monitors;
using Alerting.Engine.State;
using Alerting.Protocol.Log;

namespace Alerting.Engine.Tests.State;

public sealed class MonitorRulesTests
{
    private static MonitorRules Build(MonitorOptions options, Comparator comparator = Comparator.Greater) =>
        MonitorRules.FromProto("m1", MonitorKind.Metric, 1, comparator, options);

    private static string FieldOf(MonitorOptions options, Comparator comparator = Comparator.Greater) =>
        Assert.Throws<OptionValidationException>(() => Build(options, comparator)).Field;

    [Fact]
    public void Critical_threshold_is_required_for_metric_monitors()
    {
        Assert.Equal("thresholds.critical", FieldOf(new MonitorOptions()));
        Assert.Equal("thresholds.critical", FieldOf(GroupRun.Options(double.NaN)));
    }

    [Theory]
    [InlineData(Comparator.Greater, 90d, 95d, null, null, "thresholds.warning")]
    [InlineData(Comparator.Greater, 90d, null, 90d, null, "thresholds.critical_recovery")]
    [InlineData(Comparator.GreaterOrEqual, 90d, 80d, null, 85d, "thresholds.warning_recovery")]
    [InlineData(Comparator.Less, 10d, 5d, null, null, "thresholds.warning")]
    [InlineData(Comparator.LessOrEqual, 10d, null, 5d, null, "thresholds.critical_recovery")]
    [InlineData(Comparator.Less, 10d, 20d, null, 15d, "thresholds.warning_recovery")]
    [InlineData(Comparator.Greater, 90d, null, null, 50d, "thresholds.warning_recovery")]
    [InlineData(Comparator.Equal, 0d, null, 1d, null, "thresholds.critical_recovery")]
    [InlineData(Comparator.Equal, 0d, 0d, null, null, "thresholds.warning")]
    [InlineData(Comparator.Equal, 0d, 1d, null, 2d, "thresholds.warning_recovery")]
    [InlineData(Comparator.NotEqual, 0d, 1d, null, null, "thresholds.warning")]
    [InlineData(Comparator.NotEqual, 0d, null, 1d, null, "thresholds.critical_recovery")]
    public void Inconsistent_thresholds_are_rejected_naming_the_field(Comparator comparator, double critical, double? warning, double? criticalRecovery, double? warningRecovery, string field) =>
        Assert.Equal(field, FieldOf(GroupRun.Options(critical, warning, criticalRecovery, warningRecovery), comparator));

    [Theory]
    [InlineData(Comparator.Equal, 0d, 0d, AlertState.Alert)]
    [InlineData(Comparator.Equal, 0d, 1d, AlertState.Warn)]
    [InlineData(Comparator.Equal, 0d, 0.5d, AlertState.Ok)]
    [InlineData(Comparator.NotEqual, 1d, 1d, AlertState.Ok)]
    [InlineData(Comparator.NotEqual, 1d, -1d, AlertState.Alert)]
    [InlineData(Comparator.NotEqual, 1d, 1.0000001d, AlertState.Alert)]
    public void Equal_and_not_equal_classify_by_exact_value(Comparator comparator, double critical, double value, AlertState expected)
    {
        var rules = Build(GroupRun.Options(critical, comparator == Comparator.Equal ? 1 : null), comparator);

        Assert.Equal(expected, StateProcessor.Classify(rules, value, AlertState.Ok));
    }

    [Fact]
    public void Consistent_thresholds_are_accepted_in_both_directions()
    {
        Assert.Equal(70, Build(GroupRun.Options(90, 80, 70, 60)).CriticalRecovery);
        Assert.Equal(40, Build(GroupRun.Options(10, 20, 30, 40), Comparator.Less).WarningRecovery);
    }

    [Fact]
    public void Durations_above_the_limit_are_rejected()
    {
        var atLimit = GroupRun.Options(90);
        atLimit.ForMs = MonitorRules.MaxDurationMs;
        Assert.Equal(MonitorRules.MaxDurationMs, Build(atLimit).ForMs);
        var over = GroupRun.Options(90);
        over.TimeoutMs = MonitorRules.MaxDurationMs + 1;
        Assert.Equal("timeout_ms", FieldOf(over));
        var negative = GroupRun.Options(90);
        negative.KeepFiringForMs = -1;
        Assert.Equal("keep_firing_for_ms", FieldOf(negative));
    }

    [Fact]
    public void Renotify_options_are_validated()
    {
        var over = GroupRun.Options(90);
        over.RenotifyOccurrences = MonitorRules.MaxRenotifyOccurrences + 1;
        Assert.Equal("renotify_occurrences", FieldOf(over));
        var unknown = GroupRun.Options(90);
        unknown.RenotifyStatuses.Add("critical");
        Assert.Equal("renotify_statuses", FieldOf(unknown));
        Assert.Equal(RenotifyStatuses.Alert | RenotifyStatuses.NoData, Build(GroupRun.Options(90)).RenotifyStatuses);
    }

    [Fact]
    public void Notify_no_data_needs_a_timeframe()
    {
        var options = GroupRun.Options(90);
        options.NotifyNoData = true;
        Assert.Equal("no_data_timeframe_ms", FieldOf(options));
    }

    [Fact]
    public void Flap_thresholds_default_to_nagios_and_must_be_ordered()
    {
        var defaults = GroupRun.Options(90);
        defaults.FlapDetection = true;
        var rules = Build(defaults);
        Assert.Equal((MonitorRules.DefaultFlapLowPercent, MonitorRules.DefaultFlapHighPercent), (rules.FlapLowPercent, rules.FlapHighPercent));
        var inverted = GroupRun.Options(90);
        inverted.FlapDetection = true;
        inverted.FlapLowPercent = 50;
        inverted.FlapHighPercent = 40;
        Assert.Equal("flap_low_percent", FieldOf(inverted));
    }
}
