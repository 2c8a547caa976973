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

    /// <summary>
    /// Most bytes (UTF-8) of one rendered message, marker included. A template within
    /// <see cref="MaxTemplateLength"/> can still multiply a long variable (<c>{{group}}</c> 1 111 times over
    /// 16 long tags rendered 3.46 MB per event), and every rendered message is kept in the
    /// transition history and its snapshots; past this bound the message is cut on a UTF-8
    /// boundary and ends with <see cref="TruncationMarkerPrefix"/><c>N bytes]</c>, N being the bytes cut.
    /// 16 KiB is more than a chat message or a pager shows (a maximal ASCII template is 10 000 bytes),
    /// and bounds what 100 000 kept events can hold.
    /// </summary>
    public const int MaxRenderedBytes = 16 * 1024;

    /// <summary>Start of the marker that ends a message cut at <see cref="MaxRenderedBytes"/>: <c>… [truncated: N bytes]</c>.</summary>
    public const string TruncationMarkerPrefix = "\u2026 [truncated: ";
}
