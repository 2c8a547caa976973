namespace Alerting.Server.Replication;

/// <summary>
/// The replicator's <see cref="ILeadershipObserver"/>s, called so that none can throw into the
/// replication loop (or the pool thread that reports a term ready): a fault is caught, counted,
/// kept as <see cref="LastFault"/> and logged, and the other observers are still told.
/// </summary>
public sealed class LeadershipObservers(Action<string> log)
{
    private readonly List<ILeadershipObserver> _observers = [];
    private long _faults;
    private volatile string? _lastFault;

    public int Count => _observers.Count;

    /// <summary>Observer calls that threw so far.</summary>
    public long Faults => Interlocked.Read(ref _faults);

    /// <summary>The newest observer fault, or null.</summary>
    public string? LastFault => _lastFault;

    /// <summary>Adds an observer (before any call is made).</summary>
    public void Add(ILeadershipObserver observer)
    {
        ArgumentNullException.ThrowIfNull(observer);
        _observers.Add(observer);
    }

    /// <summary>Tells every observer that this node leads <paramref name="term"/> and is ready.</summary>
    public void PrimaryReady(long term) => Each(term, "PrimaryReady", static (o, t) => o.PrimaryReady(t));

    /// <summary>Tells every observer that this node stopped leading <paramref name="term"/>.</summary>
    public void PrimaryLost(long term) => Each(term, "PrimaryLost", static (o, t) => o.PrimaryLost(t));

    private void Each(long term, string what, Action<ILeadershipObserver, long> call)
    {
        foreach (var observer in _observers)
        {
            try
            {
                call(observer, term);
            }
#pragma warning disable CA1031 // An observer's fault must not stop the loop nor keep the other observers from hearing of the change.
            catch (Exception e)
#pragma warning restore CA1031
            {
                Interlocked.Increment(ref _faults);
                var fault = $"{observer.GetType().Name}.{what}({term}) threw {e.GetType().Name}: {e.Message}";
                _lastFault = fault;
                try
                {
                    log($"alerting: replication: a leadership observer failed: {fault}");
                }
#pragma warning disable CA1031 // Logging failed too: the fault is still counted and kept.
                catch (Exception)
#pragma warning restore CA1031
                {
                }
            }
        }
    }
}
