namespace Alerting.Engine.Monitors.Query;

/// <summary>What one scope filter asks of a series' tags.</summary>
public enum TagFilterKind : byte
{
    /// <summary><c>*</c>: every series.</summary>
    Any,

    /// <summary><c>key:value</c>: the series has exactly this tag.</summary>
    Equals,

    /// <summary><c>!key:value</c>: the series does not have this tag.</summary>
    NotEquals,

    /// <summary><c>key:prefix*</c>: the series has a tag with this key whose value starts with the prefix.</summary>
    Prefix,

    /// <summary><c>key</c>: the series has the tag <c>key</c>, bare or with any value.</summary>
    HasKey,

    /// <summary><c>key:*-prod</c>, <c>key:web-*-1</c>: the series has a tag with this key whose value matches the pattern, '*' standing for any run of characters.</summary>
    Wildcard,

    /// <summary><c>a:1 OR b:2</c>, <c>NOT (a:1 AND b:2)</c>: the series matches the <see cref="TagFilter.Expression"/>.</summary>
    Boolean,
}
