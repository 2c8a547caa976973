using System.Buffers;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Alerting.Notifications;

/// <summary>Shared pieces of the three payload builders: one writer setup, one time format, one number rule.</summary>
internal static class JsonPayload
{
    // HTTP bodies are never embedded in HTML, so the relaxed encoder keeps messages readable ('+', '<', quotes in text).
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static byte[] Write(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            write(writer);
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>ISO-8601 in UTC with milliseconds, the form Alertmanager and PagerDuty both parse.</summary>
    public static string Time(long unixMs) =>
        DateTimeOffset.FromUnixTimeMilliseconds(unixMs).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    public static string Time(DateTimeOffset time) => Time(time.ToUnixTimeMilliseconds());

    /// <summary>NaN means "no value" in a transition; JSON has no NaN, so it becomes null.</summary>
    public static void NumberOrNull(Utf8JsonWriter writer, string name, double value)
    {
        if (double.IsFinite(value))
        {
            writer.WriteNumber(name, value);
        }
        else
        {
            writer.WriteNull(name);
        }
    }

    /// <summary>The value as text for string-only fields (Alertmanager annotations); empty when NaN.</summary>
    public static string NumberText(double value) => double.IsFinite(value) ? value.ToString("R", CultureInfo.InvariantCulture) : "";

    public static void Flags(Utf8JsonWriter writer, string name, Alerting.Engine.State.GroupFlags flags)
    {
        writer.WriteStartArray(name);
        if ((flags & Alerting.Engine.State.GroupFlags.Pending) != 0)
        {
            writer.WriteStringValue("pending");
        }

        if ((flags & Alerting.Engine.State.GroupFlags.Flapping) != 0)
        {
            writer.WriteStringValue("flapping");
        }

        if ((flags & Alerting.Engine.State.GroupFlags.Muted) != 0)
        {
            writer.WriteStringValue("muted");
        }

        writer.WriteEndArray();
    }

    /// <summary>The ids of the events a coalesced notification replaces, as strings.</summary>
    public static void Ids(Utf8JsonWriter writer, string name, IReadOnlyList<TransitionId> ids)
    {
        writer.WriteStartArray(name);
        foreach (var id in ids)
        {
            writer.WriteStringValue(id.ToString());
        }

        writer.WriteEndArray();
    }
}
