namespace Alerting.Engine.StateMachine;

/// <summary>A backtest crossed one of its named limits; <see cref="Limit"/> is its name as the API spells it.</summary>
public sealed class BacktestLimitException : Exception
{
    public BacktestLimitException(string limit, long value, string message)
        : base(message)
    {
        Limit = limit;
        Value = value;
    }

    public BacktestLimitException()
        : this("", 0, "a backtest limit was crossed")
    {
    }

    public BacktestLimitException(string message)
        : this("", 0, message)
    {
    }

    public BacktestLimitException(string message, Exception innerException)
        : base(message, innerException)
    {
        Limit = "";
    }

    /// <summary>The limit's name (<c>max_transitions</c>, <c>BacktestMaxEntriesScanned</c>, ...).</summary>
    public string Limit { get; }

    /// <summary>The limit's value.</summary>
    public long Value { get; }
}
