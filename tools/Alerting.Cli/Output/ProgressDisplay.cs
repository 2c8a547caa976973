using System.Globalization;

namespace Alerting.Cli.Output;

/// <summary>
/// A one-line progress display of a long operation (<c>monitors apply</c> of many monitors, <c>write -f</c> of a
/// large file), redrawn in place on stderr at most every <see cref="Interval"/>. Only when stderr is a terminal
/// (Program.cs passes it then): a pipe or file gets nothing, so scripts and logs see the same output as
/// before. Cleared when the operation ends, and before a line of the command's own output is written.
/// </summary>
internal sealed class ProgressDisplay(TextWriter? terminal, TimeProvider time)
{
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(100);

    /// <summary>True when progress is drawn at all (stderr is a terminal).</summary>
    public bool IsShown => terminal is not null;

    /// <param name="label">What is done, e.g. <c>applying monitors</c>.</param>
    /// <param name="unit">What is counted, e.g. <c>points</c>; empty for "done/total".</param>
    public ProgressLine Start(string label, string unit = "") => new(terminal, time, label, unit);
}

/// <summary>One operation's progress line; dispose to clear it.</summary>
internal sealed class ProgressLine(TextWriter? terminal, TimeProvider time, string label, string unit) : IDisposable
{
    /// <summary>Erases the line the cursor is on (carriage return, then ANSI "erase in line").</summary>
    public const string ClearLine = "\r\u001b[K";

    private DateTimeOffset _drawnAt = DateTimeOffset.MinValue;
    private bool _shown;

    /// <summary>Redraws the line with <paramref name="done"/> of <paramref name="total"/> (null: unknown), unless it was drawn less than <see cref="ProgressDisplay.Interval"/> ago; the last step (done == total) is always drawn.</summary>
    public void Report(long done, long? total, string detail = "")
    {
        if (terminal is null)
        {
            return;
        }

        var now = time.GetUtcNow();
        if (now - _drawnAt < ProgressDisplay.Interval && done != total)
        {
            return;
        }

        _drawnAt = now;
        var text = total is { } all and > 0
            ? string.Create(CultureInfo.InvariantCulture, $"{label} {done}/{all}{(unit.Length > 0 ? " " + unit : "")} ({100 * done / all}%)")
            : string.Create(CultureInfo.InvariantCulture, $"{label} {done}{(unit.Length > 0 ? " " + unit : "")}");
        terminal.Write(ClearLine + text + (detail.Length > 0 ? " " + detail : ""));
        terminal.Flush();
        _shown = true;
    }

    /// <summary>Erases the line (before the command writes a line of its own), to be redrawn by the next report.</summary>
    public void Clear()
    {
        if (terminal is null || !_shown)
        {
            return;
        }

        terminal.Write(ClearLine);
        terminal.Flush();
        _shown = false;
        _drawnAt = DateTimeOffset.MinValue;
    }

    public void Dispose() => Clear();
}
