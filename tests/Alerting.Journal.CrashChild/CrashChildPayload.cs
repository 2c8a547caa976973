using Alerting.Engine.Journal;

namespace Alerting.Journal.CrashChild;

/// <summary>
/// The deterministic payload for each index, shared by the child and the test that checks it.
/// </summary>
public static class CrashChildPayload
{
    /// <summary>Largest payload the child writes.</summary>
    public const int MaxBytes = 300;

    /// <summary>Term every crash-test entry is written in.</summary>
    public const ulong Term = 7;

    /// <summary>The child blocks for durability at least every this many appends, keeping acks flowing.</summary>
    public const int AppendsPerAckCheck = 64;

    /// <summary>Small pages and segments so a crash test spans several segment files.</summary>
    public static JournalOptions Options(string directory) => new()
    {
        Directory = directory,
        PageSizeBits = 16,
        MemorySizeBits = 20,
        SegmentSizeBits = 20,
        MaxPayloadBytes = MaxBytes,
        SparseIndexInterval = 64,
    };

    /// <summary>Writes the payload for <paramref name="index"/> (size 1..MaxBytes, derived from the index) and returns its length.</summary>
    public static int Fill(long index, Span<byte> destination)
    {
        ulong state = (ulong)index * 0x9E3779B97F4A7C15UL;
        int length = 1 + (int)(Mix(ref state) % MaxBytes);
        for (int i = 0; i < length; i++)
        {
            destination[i] = (byte)Mix(ref state);
        }

        return length;
    }

    private static ulong Mix(ref ulong state)
    {
        // SplitMix64: a fixed function of the index, identical in every process.
        state += 0x9E3779B97F4A7C15UL;
        ulong z = state;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
