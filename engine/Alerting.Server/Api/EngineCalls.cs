using Alerting.Engine.Pipeline;
using Alerting.Protocol.Log;
using Grpc.Core;

namespace Alerting.Server.Api;

/// <summary>
/// The services' door into the engine: publishing refused because the input ring is full
/// becomes RESOURCE_EXHAUSTED at once (the ring never queues); a node already stopping, or
/// one that is not the primary, becomes UNAVAILABLE.
/// </summary>
public sealed class EngineCalls
{
    public EngineCalls(EngineNode node)
    {
        Node = node;
    }

    public EngineNode Node { get; }

    public Task<AppliedEntry> Write(LogEntry entry)
    {
        try
        {
            return Node.TryWrite(entry) ?? throw RingFull();
        }
        catch (ObjectDisposedException)
        {
            throw Stopping();
        }
        catch (EntryTooLargeException e)
        {
            throw new RpcException(new Status(StatusCode.ResourceExhausted, e.Message));
        }
        catch (NotPrimaryException e)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, e.Message));
        }
        catch (InvalidOperationException e) when (Node.Fault is not null)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, e.Message));
        }
    }

    public Task<T> Query<T>(Func<Engine.StateMachine.EngineState, T> read)
    {
        try
        {
            return Node.TryQuery(read) ?? throw RingFull();
        }
        catch (ObjectDisposedException)
        {
            throw Stopping();
        }
        catch (InvalidOperationException e) when (Node.Fault is not null)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, e.Message));
        }
    }

    private static RpcException RingFull() =>
        new(new Status(StatusCode.ResourceExhausted, "the engine's input ring is full; retry with backoff"));

    private static RpcException Stopping() =>
        new(new Status(StatusCode.Unavailable, "the server is shutting down"));
}
