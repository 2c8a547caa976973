namespace Alerting.Engine.Monitors.Query;

/// <summary>What one node of a boolean scope (<see cref="ScopeExpression"/>) is.</summary>
public enum ScopeOperator : byte
{
    /// <summary>One tag filter.</summary>
    Filter,

    /// <summary>Every operand matches.</summary>
    And,

    /// <summary>At least one operand matches.</summary>
    Or,

    /// <summary>The one operand does not match.</summary>
    Not,
}
