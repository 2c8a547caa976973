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
}
