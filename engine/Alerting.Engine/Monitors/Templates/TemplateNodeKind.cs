namespace Alerting.Engine.Monitors.Templates;

internal enum TemplateNodeKind : byte
{
    /// <summary>A slice of the template text, copied as is.</summary>
    Literal,

    /// <summary>A built-in variable.</summary>
    Variable,

    /// <summary>The value of a group tag, empty when the group has no such tag.</summary>
    Tag,

    /// <summary>Opens a section: when its condition fails, rendering jumps past the section's body.</summary>
    Section,

    /// <summary><c>{{eval "…"}}</c>: an arithmetic expression over the numeric variables (<see cref="TemplateNode.Expression"/>).</summary>
    Eval,

    /// <summary><c>{{local_time "last_triggered_at" "Zone/Name"}}</c>: the event time in a time zone (<see cref="TemplateNode.Zone"/>).</summary>
    LocalTime,
}
