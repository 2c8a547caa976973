using Alerting.Protocol.V1;

namespace Alerting.Cli.Commands;

/// <summary>
/// Where <c>alerts tail</c> resumes after a disconnect. One log entry (a points batch) can
/// cause several transitions that share its log index, and the connection may drop between
/// them; so a resume asks again from just before the last index seen and drops the events
/// already printed at that index (identified by monitor, group and transition number).
/// Nothing is missed and nothing repeated.
/// </summary>
internal sealed class TransitionCursor(ulong fromIndex)
{
    private readonly HashSet<(string Monitor, string Group, ulong Number)> _seenAtLast = [];
    private ulong _lastIndex = fromIndex;
    private bool _seenAny;

    /// <summary>The <c>from_index</c> for the next subscription (the server sends events with a greater index).</summary>
    public ulong ResumeFrom => _seenAny && _lastIndex > 0 ? _lastIndex - 1 : _lastIndex;

    /// <summary>Highest log index delivered so far.</summary>
    public ulong LastIndex => _lastIndex;

    /// <summary>True when the event is new and should be shown; false for a repeat of an event already shown.</summary>
    public bool Accept(TransitionEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        var key = (e.MonitorId, e.GroupKey, e.TransitionNumber);
        if (_seenAny && e.LogIndex < _lastIndex)
        {
            return false;
        }

        if (_seenAny && e.LogIndex == _lastIndex)
        {
            return _seenAtLast.Add(key);
        }

        _lastIndex = e.LogIndex;
        _seenAny = true;
        _seenAtLast.Clear();
        _seenAtLast.Add(key);
        return true;
    }
}
