using Alerting.Engine.State;
using Alerting.Protocol.Log;

namespace Alerting.Engine.Tests.State;

public sealed class DowntimeModelTests
{
    private static readonly string[] HostA = ["host:a", "env:prod"];

    // 2026-11-23 was a Monday.
    private static readonly long Monday = new DateTimeOffset(2026, 11, 23, 0, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds();
    private const long Hour = 3_600_000;

    [Fact]
    public void One_off_downtime_covers_only_its_window()
    {
        var d = DowntimeModel.FromProto(new Downtime { Id = "d", StartUnixMs = Monday, EndUnixMs = Monday + Hour });
        Assert.False(d.Covers("m1", "host:a", HostA, Monday - 1));
        Assert.True(d.Covers("m1", "host:a", HostA, Monday));
        Assert.True(d.Covers("m1", "host:a", HostA, Monday + Hour - 1));
        Assert.False(d.Covers("m1", "host:a", HostA, Monday + Hour));
    }

    [Fact]
    public void Open_ended_downtime_never_ends()
    {
        var d = DowntimeModel.FromProto(new Downtime { Id = "d", StartUnixMs = Monday });
        Assert.True(d.Covers("m1", "host:a", HostA, Monday + (1000 * 24 * Hour)));
    }

    [Fact]
    public void Weekly_downtime_covers_only_its_days_and_hours()
    {
        var d = DowntimeModel.FromProto(new Downtime { Id = "d", StartUnixMs = 0, Recurrence = "weekly days=mon,fri start=22:00 duration=4h" });
        Assert.True(d.Covers("m1", "host:a", HostA, Monday + (23 * Hour)));
        Assert.True(d.Covers("m1", "host:a", HostA, Monday + (25 * Hour)));
        Assert.False(d.Covers("m1", "host:a", HostA, Monday + (26 * Hour)));
        Assert.False(d.Covers("m1", "host:a", HostA, Monday - Hour));
        Assert.False(d.Covers("m1", "host:a", HostA, Monday + (21 * Hour)));
        Assert.True(d.Covers("m1", "host:a", HostA, Monday + (4 * 24 * Hour) + (22 * Hour)));
        Assert.False(d.Covers("m1", "host:a", HostA, Monday + (3 * 24 * Hour) + (22 * Hour)));
    }

    [Fact]
    public void Interval_downtime_repeats_every_period_from_its_start()
    {
        var d = DowntimeModel.FromProto(new Downtime { Id = "d", StartUnixMs = Monday, Recurrence = "interval every=6h duration=1h" });
        Assert.True(d.Covers("m1", "host:a", HostA, Monday + (30 * 60_000)));
        Assert.False(d.Covers("m1", "host:a", HostA, Monday + (2 * Hour)));
        Assert.True(d.Covers("m1", "host:a", HostA, Monday + (12 * Hour)));
        Assert.False(d.Covers("m1", "host:a", HostA, Monday - 1));
    }

    [Fact]
    public void Scope_downtime_needs_all_tags()
    {
        var d = DowntimeModel.FromProto(new Downtime { Id = "d", StartUnixMs = Monday, Scope = { "env:prod", "host:a" } });
        Assert.True(d.Covers("m1", "host:a", HostA, Monday));
        Assert.False(d.Covers("m1", "host:b", ["host:b", "env:prod"], Monday));
        Assert.False(d.Covers("m1", "host:a", ["host:a"], Monday));
    }

    [Fact]
    public void Group_downtime_covers_only_that_group()
    {
        var d = DowntimeModel.FromProto(new Downtime { Id = "d", StartUnixMs = Monday, Group = "host:a" });
        Assert.True(d.Covers("m1", "host:a", HostA, Monday));
        Assert.False(d.Covers("m1", "host:b", ["host:b", "env:prod"], Monday));
    }

    [Fact]
    public void Monitor_downtime_covers_only_that_monitor()
    {
        var d = DowntimeModel.FromProto(new Downtime { Id = "d", StartUnixMs = Monday, MonitorId = "m1" });
        Assert.True(d.Covers("m1", "host:a", HostA, Monday));
        Assert.False(d.Covers("m2", "host:a", HostA, Monday));
    }

    [Theory]
    [InlineData("daily", "recurrence")]
    [InlineData("weekly duration=1h", "recurrence")]
    [InlineData("weekly days=mon,xyz duration=1h", "recurrence")]
    [InlineData("weekly days=mon duration=8d", "recurrence")]
    [InlineData("weekly days=mon start=25:00 duration=1h", "recurrence")]
    [InlineData("interval every=1h duration=2h", "recurrence")]
    [InlineData("interval every=1h duration=10", "recurrence")]
    [InlineData("interval every=999999d duration=1h", "recurrence")]
    public void Invalid_recurrence_is_rejected_naming_the_field(string recurrence, string field)
    {
        var e = Assert.Throws<OptionValidationException>(() => DowntimeModel.FromProto(new Downtime { Id = "d", StartUnixMs = Monday, Recurrence = recurrence }));
        Assert.Equal(field, e.Field);
    }

    [Fact]
    public void Invalid_downtime_fields_are_rejected_naming_the_field()
    {
        Assert.Equal("id", Assert.Throws<OptionValidationException>(() => DowntimeModel.FromProto(new Downtime { StartUnixMs = 1 })).Field);
        Assert.Equal("end_unix_ms", Assert.Throws<OptionValidationException>(() => DowntimeModel.FromProto(new Downtime { Id = "d", StartUnixMs = 5, EndUnixMs = 5 })).Field);
        Assert.Equal("scope", Assert.Throws<OptionValidationException>(() => DowntimeModel.FromProto(new Downtime { Id = "d", Scope = { "prod" } })).Field);
        var tooMany = new Downtime { Id = "d" };
        tooMany.Scope.AddRange(Enumerable.Range(0, DowntimeModel.MaxScopeTags + 1).Select(i => $"k{i}:v"));
        Assert.Equal("scope", Assert.Throws<OptionValidationException>(() => DowntimeModel.FromProto(tooMany)).Field);
    }

    [Fact]
    public void Downtime_set_reports_notify_end_of_any_covering_downtime()
    {
        var set = new DowntimeSet();
        set.Upsert(DowntimeModel.FromProto(new Downtime { Id = "b", StartUnixMs = Monday, Group = "host:a", NotifyEndIfAlerting = true }));
        set.Upsert(DowntimeModel.FromProto(new Downtime { Id = "a", StartUnixMs = Monday }));
        Assert.Equal(new MuteStatus(true, true), set.Evaluate("m1", "host:a", HostA, Monday));
        Assert.Equal(new MuteStatus(true, false), set.Evaluate("m1", "host:b", ["host:b"], Monday));
        Assert.Equal(MuteStatus.None, set.Evaluate("m1", "host:a", HostA, Monday - 1));
        Assert.True(set.Remove("a"));
        Assert.False(set.Remove("a"));
        Assert.Equal(MuteStatus.None, set.Evaluate("m1", "host:b", ["host:b"], Monday));
    }

    [Fact]
    public void Downtime_set_rejects_more_than_the_limit()
    {
        var set = new DowntimeSet();
        for (int i = 0; i < DowntimeSet.MaxDowntimes; i++)
        {
            set.Upsert(DowntimeModel.FromProto(new Downtime { Id = $"d{i:D5}", StartUnixMs = Monday }));
        }

        set.Upsert(DowntimeModel.FromProto(new Downtime { Id = "d00000", StartUnixMs = Monday + 1 }));
        Assert.Equal(DowntimeSet.MaxDowntimes, set.Count);
        Assert.Throws<OptionValidationException>(() => set.Upsert(DowntimeModel.FromProto(new Downtime { Id = "extra", StartUnixMs = Monday })));
    }

    [Fact]
    public void A_scope_entry_longer_than_MaxScopeTagLength_is_refused_naming_its_index()
    {
        var downtime = new Downtime { Id = "d", StartUnixMs = Monday, Scope = { "env:prod", "host:" + new string('h', DowntimeModel.MaxScopeTagLength) } };

        var error = Assert.Throws<OptionValidationException>(() => DowntimeModel.FromProto(downtime));

        Assert.Equal("scope[1]", error.Field);
        Assert.Contains($"at most {DowntimeModel.MaxScopeTagLength}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_downtime_over_MaxDowntimeBytes_is_refused_as_a_whole_and_a_full_ascii_scope_fits()
    {
        var full = new Downtime { Id = "d", StartUnixMs = Monday };
        full.Scope.AddRange(Enumerable.Range(0, DowntimeModel.MaxScopeTags).Select(i => $"k{i:D2}:" + new string('v', DowntimeModel.MaxScopeTagLength - 4)));
        var huge = new Downtime { Id = "d", StartUnixMs = Monday, Group = new string('g', 40_000) };

        DowntimeModel.FromProto(full);
        var error = Assert.Throws<OptionValidationException>(() => DowntimeModel.FromProto(huge));

        Assert.Equal(DowntimeModel.WholeDowntime, error.Field);
        Assert.Contains($"at most {DowntimeModel.MaxDowntimeBytes}", error.Message, StringComparison.Ordinal);
    }
}
