namespace Alerting.Replication.Tests.Simulation;

/// <summary>A safety property the simulation checker found broken.</summary>
public sealed class SimulationViolationException : Exception
{
    public SimulationViolationException(string message)
        : base(message)
    {
    }

    public SimulationViolationException()
    {
    }

    public SimulationViolationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
