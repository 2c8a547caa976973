namespace Alerting.Engine.StateMachine;

/// <summary>
/// The primary's clock: every <see cref="Period"/> it reads the <see cref="TimeProvider"/> and
/// publishes a <c>Tick(now)</c> through <paramref name="publish"/>. This is the only place
/// wall-clock time enters the engine; the state machine sees time only as log entries.
/// A tick the pipeline cannot take (full input ring) is counted and skipped: the next tick
/// carries a later time and the timing wheel fires everything due up to it, so nothing is
/// lost, only coalesced. A publish that throws (a faulted pipeline) is counted and recorded in
/// <see cref="LastFault"/>: nothing may throw into the timer, where it would end the process.
/// </summary>
public sealed class TickClock : IDisposable
{
    /// <summary>The default tick period (DESIGN section 4).</summary>
    public static readonly TimeSpan DefaultPeriod = TimeSpan.FromMilliseconds(100);

    private readonly TimeProvider _time;
    private readonly Func<long, bool> _publish;
    private readonly object _gate = new();
    private ITimer? _timer;
    private long _lastPublishedMs = long.MinValue;
    private long _ticksPublished;
    private long _ticksRefused;
    private long _faults;
    private Exception? _lastFault;

    public TickClock(TimeProvider time, TimeSpan period, Func<long, bool> publish)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(period, TimeSpan.Zero);
        _time = time;
        _publish = publish;
        Period = period;
    }

    public TimeSpan Period { get; }

    public long TicksPublished => Interlocked.Read(ref _ticksPublished);

    /// <summary>Ticks the pipeline refused (input ring full); coalesced into the next one.</summary>
    public long TicksRefused => Interlocked.Read(ref _ticksRefused);

    /// <summary>Timer callbacks whose publish threw; the exception is in <see cref="LastFault"/>.</summary>
    public long Faults => Interlocked.Read(ref _faults);

    /// <summary>The last exception a publish threw, or null.</summary>
    public Exception? LastFault => Volatile.Read(ref _lastFault);

    public void Start()
    {
        lock (_gate)
        {
            _timer ??= _time.CreateTimer(static s => ((TickClock)s!).OnTimer(), this, Period, Period);
        }
    }

    public void Stop()
    {
        lock (_gate)
        {
            _timer?.Dispose();
            _timer = null;
        }
    }

    public void Dispose() => Stop();

    private void OnTimer()
    {
        // Timer callbacks can overlap when one runs late; the lock keeps ticks in order and
        // the max keeps a backwards wall-clock step from publishing an earlier time.
        lock (_gate)
        {
            if (_timer is null)
            {
                return;
            }

            try
            {
                var now = Math.Max(_time.GetUtcNow().ToUnixTimeMilliseconds(), _lastPublishedMs);
                if (_publish(now))
                {
                    _lastPublishedMs = now;
                    Interlocked.Increment(ref _ticksPublished);
                }
                else
                {
                    Interlocked.Increment(ref _ticksRefused);
                }
            }
#pragma warning disable CA1031 // A timer callback must not throw: it would end the process.
            catch (Exception e)
#pragma warning restore CA1031
            {
                Volatile.Write(ref _lastFault, e);
                Interlocked.Increment(ref _faults);
            }
        }
    }
}
