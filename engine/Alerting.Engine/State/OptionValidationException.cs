namespace Alerting.Engine.State;

/// <summary>Monitor options or a downtime were rejected at the boundary; <see cref="Field"/> names the offending field (proto name).</summary>
public sealed class OptionValidationException : Exception
{
    public OptionValidationException()
        : this("options", "invalid monitor options")
    {
    }

    public OptionValidationException(string message)
        : this("options", message)
    {
    }

    public OptionValidationException(string message, Exception innerException)
        : base(message, innerException)
    {
        Field = "options";
    }

    public OptionValidationException(string field, string message)
        : base($"{field}: {message}")
    {
        Field = field;
    }

    public string Field { get; }
}
