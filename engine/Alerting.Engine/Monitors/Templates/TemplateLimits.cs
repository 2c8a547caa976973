namespace Alerting.Engine.Monitors.Templates;

/// <summary>
/// The named bounds of the message template language. The parser rejects anything beyond
/// them with a positioned error, so every compiled template is within them.
/// </summary>
public static class TemplateLimits
{
    /// <summary>
    /// Longest template text, in UTF-16 chars: the monitor message limit, so a message the
    /// compiler accepts is never rejected for its length here.
    /// </summary>
    public const int MaxTemplateLength = MonitorCompiler.MaxMessageLength;

    /// <summary>
    /// Deepest nesting of sections. Sections are conditions on one state, so a few levels
    /// already say everything; the bound keeps the parser's open-section stack finite.
    /// </summary>
    public const int MaxSectionDepth = 16;
}
