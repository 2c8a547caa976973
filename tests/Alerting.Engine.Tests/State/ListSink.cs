using Alerting.Engine.State;

namespace Alerting.Engine.Tests.State;

/// <summary>A test sink collecting events into a list.</summary>
internal struct ListSink : ITransitionSink
{
    public ListSink()
    {
        Events = [];
    }

    public List<TransitionEvent> Events { get; }

    public readonly void Emit(in TransitionEvent transition) => Events.Add(transition);
}
