namespace Alerting.Cli.Tests.Server;

/// <summary>Captures lines and completes a wait once a given number of lines satisfy a condition; how tests follow a streaming command without sleeping.</summary>
internal sealed class SignallingWriter : StringWriter
{
    private readonly object _gate = new();
    private readonly List<string> _lines = [];
    private readonly List<(Func<string, bool> Match, int Count, TaskCompletionSource Done)> _waits = [];

    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_gate)
            {
                return [.. _lines];
            }
        }
    }

    public Task WaitFor(Func<string, bool> match, int count = 1)
    {
        lock (_gate)
        {
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waits.Add((match, count, done));
            Check();
            return done.Task;
        }
    }

    public override void WriteLine(string? value)
    {
        base.WriteLine(value);
        lock (_gate)
        {
            _lines.Add(value ?? "");
            Check();
        }
    }

    private void Check()
    {
        foreach (var (match, count, done) in _waits)
        {
            if (_lines.Count(match) >= count)
            {
                done.TrySetResult();
            }
        }
    }
}
