namespace Alerting.Engine.Monitors.Query;

/// <summary>
/// A node of a composite monitor's expression (<c>a &amp;&amp; (b || !c)</c>): a member monitor,
/// or a boolean operator over nodes. Records, so two trees compare by value and
/// <c>Parse(Format(q)) == q</c> holds.
/// </summary>
public abstract record CompositeNode
{
    private protected CompositeNode()
    {
    }
}

/// <summary>A member monitor, by its id.</summary>
public sealed record CompositeMember(string MonitorId) : CompositeNode;

/// <summary><c>!operand</c>.</summary>
public sealed record CompositeNot(CompositeNode Operand) : CompositeNode;

/// <summary><c>left &amp;&amp; right</c>.</summary>
public sealed record CompositeAnd(CompositeNode Left, CompositeNode Right) : CompositeNode;

/// <summary><c>left || right</c>.</summary>
public sealed record CompositeOr(CompositeNode Left, CompositeNode Right) : CompositeNode;
