using Google.Protobuf;

namespace Alerting.Cli.Output;

/// <summary>
/// <c>--json</c> output: one protobuf message per line in the proto3 JSON mapping, with the
/// proto's snake_case field names (as in monitor files) and default values written out, so a
/// script never has to guess whether a missing field means zero.
/// </summary>
internal sealed class JsonLines(TextWriter writer)
{
    private static readonly JsonFormatter Formatter = new(JsonFormatter.Settings.Default.WithFormatDefaultValues(true).WithPreserveProtoFieldNames(true));

    public void Write(IMessage message)
    {
        writer.WriteLine(Formatter.Format(message));
        writer.Flush();
    }
}
