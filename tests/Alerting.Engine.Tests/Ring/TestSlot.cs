namespace Alerting.Engine.Tests.Ring;

/// <summary>A ring entry for the tests: who wrote it, its position in that producer's stream, and stage marks.</summary>
internal struct TestSlot
{
    public int ProducerId;
    public long ProducerSequence;
    public long StageAMark;
    public long StageBMark;
}
