using Alerting.Engine.Monitors;
using Alerting.Engine.State;

namespace Alerting.Engine.StateMachine;

/// <summary>
/// Brings groups' mute up to date after a downtime changed (a command, or a boundary from the
/// calendar), in bounded deterministic steps. A downtime that names a monitor needs only that
/// monitor's groups: they are queued by monitor and refreshed in the same step when the budget
/// allows. A downtime that names none may cover a group of any monitor: it starts (or extends) a
/// sweep that walks the monitors in slot order from slot 0; a request that comes while a sweep
/// runs extends it to wrap round to where it stood, so it ends once round after the latest request; each step refreshes about
/// <see cref="MaxGroupsPerStep"/> groups and the sweep goes on at the following ticks. A group the
/// sweep has not reached yet still reads the right mute at its own evaluations (the index is
/// current), so a sweep only decides when its flag and end notification show, never whether.
/// </summary>
/// <remarks>Its queue and cursor are state: they are in snapshots (format 10), so a replica restored mid-sweep continues it the same way.</remarks>
internal sealed class MuteRefresher
{
    /// <summary>Groups (plus one per monitor slot looked at) a step refreshes at most; a named monitor is refreshed whole, so one step may exceed it by one monitor's groups.</summary>
    public const int MaxGroupsPerStep = 8_192;

    private readonly MonitorRegistry _monitors;
    private readonly GroupEvaluator _evaluator;
    private readonly Queue<string> _named = new();
    private readonly HashSet<string> _queued = new(StringComparer.Ordinal);
    private bool _sweeping;
    private bool _wrapped;
    private int _cursor;
    private int _stop;

    public MuteRefresher(MonitorRegistry monitors, GroupEvaluator evaluator)
    {
        _monitors = monitors;
        _evaluator = evaluator;
    }

    /// <summary>True when no refresh is waiting.</summary>
    public bool IsIdle => _named.Count == 0 && !_sweeping;

    /// <summary>Whether a sweep over every monitor is under way.</summary>
    public bool IsSweeping => _sweeping;

    /// <summary>Queues the refresh a downtime change needs (it runs at the next <see cref="Step"/>).</summary>
    public void Request(DowntimeReach reach)
    {
        if (reach.AllMonitors)
        {
            // A full round from here: every group is refreshed at least once after this request.
            _sweeping = true;
            _wrapped = false;
            _stop = _cursor;
            return;
        }

        Enqueue(reach.First);
        Enqueue(reach.Second);
    }

    /// <summary>Refreshes up to about <see cref="MaxGroupsPerStep"/> groups: queued monitors first, then the sweep.</summary>
    public void Step(long logIndex)
    {
        var budget = MaxGroupsPerStep;
        while (budget > 0 && _named.TryDequeue(out var id))
        {
            _queued.Remove(id);
            budget--;
            if (_monitors.TryGet(id, out var monitor))
            {
                budget -= Refresh(monitor, logIndex);
            }
        }

        var slots = _monitors.Slots;
        while (budget > 0 && _sweeping)
        {
            if (_cursor >= slots.Count)
            {
                if (_wrapped)
                {
                    FinishSweep();
                    break;
                }

                _cursor = 0;
                _wrapped = true;
            }

            if (_wrapped && _cursor >= _stop)
            {
                FinishSweep();
                break;
            }

            var monitor = slots[_cursor++];
            budget--;
            if (monitor is not null)
            {
                budget -= Refresh(monitor, logIndex);
            }
        }
    }

    public void WriteTo(BinaryWriter writer)
    {
        writer.Write(_named.Count);
        foreach (var id in _named)
        {
            writer.Write(id);
        }

        writer.Write(_sweeping);
        writer.Write(_wrapped);
        writer.Write(_cursor);
        writer.Write(_stop);
    }

    /// <summary>Reads the state <see cref="WriteTo"/> wrote; null (a snapshot before format 10) leaves nothing pending.</summary>
    public void ReadFrom(BinaryReader? reader)
    {
        Invariant.Check(IsIdle, "a mute refresher is restored before it is used");
        if (reader is null)
        {
            return;
        }

        var named = reader.ReadInt32();
        for (var i = 0; i < named; i++)
        {
            Enqueue(reader.ReadString());
        }

        _sweeping = reader.ReadBoolean();
        _wrapped = reader.ReadBoolean();
        _cursor = reader.ReadInt32();
        _stop = reader.ReadInt32();
        Invariant.Check(_cursor >= 0 && _stop >= 0, "a sweep cursor is a slot number");
    }

    /// <summary>An idle refresher has one state (slot 0, not wrapped), so equal histories write equal snapshots.</summary>
    private void FinishSweep()
    {
        _sweeping = false;
        _wrapped = false;
        _cursor = 0;
        _stop = 0;
    }

    private void Enqueue(string? monitorId)
    {
        if (monitorId is not null && _queued.Add(monitorId))
        {
            _named.Enqueue(monitorId);
        }
    }

    private int Refresh(CompiledMonitor monitor, long logIndex)
    {
        foreach (var group in monitor.Groups.Values)
        {
            _evaluator.UpdateMute(monitor, group, logIndex);
        }

        return monitor.Groups.Count;
    }
}
