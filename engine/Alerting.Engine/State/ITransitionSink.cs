namespace Alerting.Engine.State;

/// <summary>
/// Receives the events of the state processor. Implemented by a struct and passed by ref so the
/// processor's generic methods are specialised per sink and the call is inlined (no boxing, no allocation).
/// </summary>
public interface ITransitionSink
{
    void Emit(in TransitionEvent transition);
}
