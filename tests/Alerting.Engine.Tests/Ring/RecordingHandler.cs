using Alerting.Engine.Ring;

namespace Alerting.Engine.Tests.Ring;

/// <summary>Records what a processor hands it and signals once it has seen <c>expected</c> events.</summary>
internal sealed class RecordingHandler(long expected) : IEventHandler<long>
{
    private readonly List<long> _values = [];
    private readonly List<long> _batchEnds = [];
    private readonly List<long> _progressSeen = [];

    /// <summary>Read the processor's published progress at each event, to check it moves once per batch.</summary>
    public Sequence? ProcessorSequence { get; set; }

    /// <summary>The handler throws when it reaches this sequence.</summary>
    public long FailAt { get; set; } = long.MaxValue;

    public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public IReadOnlyList<long> Values => _values;

    public IReadOnlyList<long> BatchEnds => _batchEnds;

    public IReadOnlyList<long> ProgressSeen => _progressSeen;

    public int StartCalls { get; private set; }

    public int ShutdownCalls { get; private set; }

    public void OnStart() => StartCalls++;

    public void OnEvent(ref long data, long sequence, bool endOfBatch)
    {
        if (sequence == FailAt)
        {
            throw new InvalidOperationException($"handler failed at {sequence}");
        }

        _values.Add(data);
        if (ProcessorSequence is not null)
        {
            _progressSeen.Add(ProcessorSequence.Value);
        }

        if (endOfBatch)
        {
            _batchEnds.Add(sequence);
        }

        if (_values.Count == expected)
        {
            Done.TrySetResult();
        }
    }

    public void OnShutdown() => ShutdownCalls++;
}
