namespace Alerting.Engine.Monitors;

/// <summary>A monitor definition that cannot be used; names the field and the reason.</summary>
public sealed class MonitorValidationException : Exception
{
    public MonitorValidationException(string field, string reason)
        : base($"{field}: {reason}")
    {
        Field = field;
        Reason = reason;
    }

    public MonitorValidationException()
    {
        Field = string.Empty;
        Reason = string.Empty;
    }

    public MonitorValidationException(string message, Exception innerException)
        : base(message, innerException)
    {
        Field = string.Empty;
        Reason = message;
    }

    public string Field { get; }

    public string Reason { get; }
}
