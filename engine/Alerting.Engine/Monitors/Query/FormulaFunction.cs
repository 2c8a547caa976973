namespace Alerting.Engine.Monitors.Query;

/// <summary>A function of one argument in a formula, applied to each instant's value.</summary>
public enum FormulaFunction : byte
{
    /// <summary><c>-x</c>.</summary>
    Negate,

    /// <summary><c>abs(x)</c>.</summary>
    Abs,

    /// <summary><c>log2(x)</c>; undefined (no value) for x ≤ 0.</summary>
    Log2,

    /// <summary><c>log10(x)</c>; undefined (no value) for x ≤ 0.</summary>
    Log10,

    /// <summary><c>default_zero(x)</c>: 0 at an instant where x has no value.</summary>
    DefaultZero,

    /// <summary>
    /// <c>per_second(x)</c>: how fast x grows, per second, from the previous instant where x has a
    /// value; a counter, so a decrease is a reset (the growth since is the new value, if positive).
    /// Undefined at the first instant of the window with a value.
    /// </summary>
    PerSecond,

    /// <summary><c>per_minute(x)</c>: <see cref="PerSecond"/> × 60.</summary>
    PerMinute,

    /// <summary><c>diff(x)</c>: x minus its value at the previous instant where it has one (may be negative).</summary>
    Diff,
}
