using Alerting.Engine.Monitors;
using Alerting.Engine.Tests.StateMachine;
using Google.Protobuf;
using Monitor = Alerting.Protocol.Log.Monitor;

namespace Alerting.Engine.Tests.Monitors;

public sealed class MonitorCompilerLimitsTests
{
    private const string Query = "avg(last_5m):avg:cpu{*} > 90";

    private static Monitor Valid() => EngineHarness.Metric("m", Query);

    private static MonitorValidationException Refused(Monitor monitor) =>
        Assert.Throws<MonitorValidationException>(() => MonitorCompiler.Validate(monitor));

    [Fact]
    public void A_definition_over_MaxDefinitionBytes_is_refused_as_a_whole_with_its_size_and_the_limit()
    {
        // Every field within its own limit in chars, but three bytes a char: about 93 KiB encoded.
        var monitor = Valid();
        monitor.Message = new string('中', MonitorCompiler.MaxMessageLength);
        monitor.Tags.AddRange(Enumerable.Range(0, MonitorCompiler.MaxTags).Select(i => $"t{i:D2}:" + new string('中', MonitorCompiler.MaxTagLength - 4)));
        Assert.True(monitor.CalculateSize() > MonitorCompiler.MaxDefinitionBytes);

        var error = Refused(monitor);

        Assert.Equal(MonitorCompiler.WholeDefinition, error.Field);
        Assert.Contains($"{monitor.CalculateSize()} bytes encoded, at most {MonitorCompiler.MaxDefinitionBytes}", error.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Fields_this_version_does_not_know_count_towards_MaxDefinitionBytes()
    {
        // A newer client's field 99 (length-delimited), 70 KiB: parsed and kept as an unknown field.
        var valid = Valid().ToByteArray();
        var extra = new byte[70 * 1024];
        using var stream = new MemoryStream();
        stream.Write(valid);
        using (var output = new CodedOutputStream(stream, leaveOpen: true))
        {
            output.WriteTag(99, WireFormat.WireType.LengthDelimited);
            output.WriteBytes(ByteString.CopyFrom(extra));
        }

        var monitor = Monitor.Parser.ParseFrom(stream.ToArray());

        Assert.Equal(MonitorCompiler.WholeDefinition, Refused(monitor).Field);
    }

    [Fact]
    public void A_maximal_ascii_definition_fits_MaxDefinitionBytes()
    {
        var monitor = Valid();
        monitor.Id = new string('i', MonitorCompiler.MaxIdLength);
        monitor.Name = new string('n', MonitorCompiler.MaxNameLength);
        monitor.Message = new string('x', MonitorCompiler.MaxMessageLength);
        monitor.Tags.AddRange(Enumerable.Range(0, MonitorCompiler.MaxTags).Select(i => $"t{i:D2}:" + new string('v', MonitorCompiler.MaxTagLength - 4)));
        monitor.Options.RenotifyStatuses.AddRange(["alert", "warn", "no data"]);

        MonitorCompiler.Validate(monitor);
    }

    [Fact]
    public void A_tag_longer_than_MaxTagLength_is_refused_naming_its_index()
    {
        var monitor = Valid();
        monitor.Tags.Add("team:a");
        monitor.Tags.Add("t:" + new string('v', MonitorCompiler.MaxTagLength - 1));

        var error = Refused(monitor);

        Assert.Equal("tags[1]", error.Field);
        Assert.Contains($"at most {MonitorCompiler.MaxTagLength}", error.Reason, StringComparison.Ordinal);
        monitor.Tags[1] = "t:" + new string('v', MonitorCompiler.MaxTagLength - 2);
        MonitorCompiler.Validate(monitor);
    }

    [Fact]
    public void More_tags_than_MaxTags_is_refused_naming_the_limit()
    {
        var monitor = Valid();
        monitor.Tags.AddRange(Enumerable.Range(0, MonitorCompiler.MaxTags + 1).Select(i => $"t:{i}"));

        var error = Refused(monitor);

        Assert.Equal("tags", error.Field);
        Assert.Contains($"at most {MonitorCompiler.MaxTags}", error.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_message_or_name_over_its_length_is_refused_naming_the_field_and_the_limit()
    {
        var longMessage = Valid();
        longMessage.Message = new string('x', MonitorCompiler.MaxMessageLength + 1);
        var longName = Valid();
        longName.Name = new string('n', MonitorCompiler.MaxNameLength + 1);

        var message = Refused(longMessage);
        var name = Refused(longName);

        Assert.Equal("message", message.Field);
        Assert.Contains($"at most {MonitorCompiler.MaxMessageLength}", message.Reason, StringComparison.Ordinal);
        Assert.Equal("name", name.Field);
        Assert.Contains($"at most {MonitorCompiler.MaxNameLength}", name.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new[] { "alert", "alert" }, "\"alert\" is listed twice")]
    [InlineData(new[] { "alert", "warn", "no data", "alert" }, "at most 3")]
    public void Renotify_statuses_list_each_status_at_most_once(string[] statuses, string expected)
    {
        var monitor = EngineHarness.Metric("m", Query, o => o.RenotifyStatuses.AddRange(statuses));

        var error = Refused(monitor);

        Assert.Equal("options.renotify_statuses", error.Field);
        Assert.Contains(expected, error.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void The_issue_repro_100000_renotify_statuses_is_refused()
    {
        var monitor = EngineHarness.Metric("m", Query, o => o.RenotifyStatuses.AddRange(Enumerable.Repeat("alert", 100_000)));

        var error = Refused(monitor);

        Assert.Equal(MonitorCompiler.WholeDefinition, error.Field);
        monitor.Options.RenotifyStatuses.Clear();
        monitor.Options.RenotifyStatuses.AddRange(Enumerable.Repeat("alert", 10));
        Assert.Equal("options.renotify_statuses", Refused(monitor).Field);
    }

    [Theory]
    [InlineData("name", "CPU\0high")]
    [InlineData("name", "CPU\nhigh")]
    [InlineData("id", "m\u001b[31m")]
    [InlineData("tags[0]", "team:\u0007")]
    public void A_control_character_in_a_name_id_or_tag_is_refused_naming_the_field(string field, string text)
    {
        var monitor = Valid();
        switch (field)
        {
            case "name":
                monitor.Name = text;
                break;
            case "id":
                monitor.Id = text;
                break;
            default:
                monitor.Tags.Add(text);
                break;
        }

        var error = Refused(monitor);

        Assert.Equal(field, error.Field);
        Assert.Contains("control characters", error.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_message_keeps_its_newlines_and_tabs()
    {
        var monitor = Valid();
        monitor.Message = "CPU high\n\ton {{host.name}}";

        MonitorCompiler.Validate(monitor);
    }

    [Fact]
    public void An_oversized_definition_already_in_the_log_is_refused_on_apply_and_counted()
    {
        // An entry an older version accepted: the state machine compiles it again and refuses it the same way on every replica.
        var engine = new EngineHarness();
        var monitor = EngineHarness.Metric("m", Query, o => o.RenotifyStatuses.AddRange(Enumerable.Repeat("alert", 100_000)));

        engine.Upsert(monitor);

        Assert.Equal(0, engine.State.MonitorCount);
        Assert.Equal(1, engine.State.Rejected(RejectReason.InvalidCommand));
    }
}
