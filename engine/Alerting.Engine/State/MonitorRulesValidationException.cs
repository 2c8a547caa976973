namespace Alerting.Engine.State;

/// <summary>A monitor's options were rejected; <see cref="Field"/> names the offending option (Datadog/proto name).</summary>
public sealed class MonitorRulesValidationException : Exception
{
    public MonitorRulesValidationException()
        : this("options", "invalid monitor options")
    {
    }

    public MonitorRulesValidationException(string message)
        : this("options", message)
    {
    }

    public MonitorRulesValidationException(string message, Exception innerException)
        : base(message, innerException)
    {
        Field = "options";
    }

    public MonitorRulesValidationException(string field, string message)
        : base($"{field}: {message}")
    {
        Field = field;
    }

    public string Field { get; }
}
