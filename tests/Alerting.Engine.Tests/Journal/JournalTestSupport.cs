using Alerting.Engine.Journal;

namespace Alerting.Engine.Tests.Journal;

internal static class JournalTestSupport
{
    public static JournalOptions SmallOptions(string directory) => new()
    {
        Directory = directory,
        PageSizeBits = 16,
        MemorySizeBits = 20,
        SegmentSizeBits = 20,
        MaxPayloadBytes = 4096,
        SparseIndexInterval = 16,
    };

    public static byte[] Payload(long index, int salt = 0)
    {
        var bytes = new byte[1 + (int)((index * 7 + salt) % 200)];
        for (int i = 0; i < bytes.Length; i++)
        {
            bytes[i] = (byte)(index + i + salt);
        }

        return bytes;
    }

    public static void AppendDurable(FasterJournal journal, long count, ulong term = 1, int salt = 0)
    {
        long last = 0;
        for (long i = 0; i < count; i++)
        {
            last = journal.Append(Payload(journal.LastIndex + 1, salt), term);
        }

        journal.WaitForDurable(last);
    }

    public static List<(long Index, ulong Term, byte[] Payload)> ReadAll(FasterJournal journal, long fromIndex)
    {
        var records = new List<(long, ulong, byte[])>();
        using JournalScanner scanner = journal.Scan(fromIndex);
        while (scanner.TryNext(out JournalRecord record))
        {
            records.Add((record.Index, record.Term, record.Payload.ToArray()));
        }

        return records;
    }

    public static string SegmentFile(string directory) => Path.Combine(directory, FasterJournal.SegmentFilePrefix + ".0");
}
