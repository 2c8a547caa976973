using Grpc.Core;

namespace Alerting.Server.Api;

/// <summary>A bounded count of open long-lived streams of one kind; one over the limit is RESOURCE_EXHAUSTED.</summary>
public sealed class StreamSlots
{
    private readonly string _what;
    private readonly int _max;
    private int _open;

    public StreamSlots(string what, int max)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(max, 1);
        _what = what;
        _max = max;
    }

    public int Open => Volatile.Read(ref _open);

    /// <summary>Takes a slot until the returned lease is disposed.</summary>
    /// <exception cref="RpcException">RESOURCE_EXHAUSTED when all slots are taken.</exception>
    public Lease Acquire()
    {
        if (Interlocked.Increment(ref _open) > _max)
        {
            Interlocked.Decrement(ref _open);
            throw new RpcException(new Status(StatusCode.ResourceExhausted, $"at most {_max} concurrent {_what} are allowed; close one or retry later"));
        }

        return new Lease(this);
    }

    /// <summary>Returns the slot once.</summary>
    public sealed class Lease : IDisposable
    {
        private StreamSlots? _owner;

        internal Lease(StreamSlots owner)
        {
            _owner = owner;
        }

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _owner, null) is { } owner)
            {
                Interlocked.Decrement(ref owner._open);
            }
        }
    }
}
