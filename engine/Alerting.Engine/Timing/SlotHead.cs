namespace Alerting.Engine.Timing;

/// <summary>
/// A wheel slot: its newest record chunk and how many records that chunk holds (every older chunk
/// is full). Keeping the fill beside the chunk index makes re-arming a timer one cache line read
/// plus a store, with no dependent miss on a per-chunk array.
/// </summary>
internal struct SlotHead
{
    /// <summary>Newest chunk of the slot, or -1 when the slot is empty.</summary>
    public int Chunk;

    /// <summary>Records in <see cref="Chunk"/>: 1..ChunkSize while the slot is non-empty.</summary>
    public int Fill;
}
