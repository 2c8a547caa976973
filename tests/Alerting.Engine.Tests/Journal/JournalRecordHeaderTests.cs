using Alerting.Engine.Journal;

namespace Alerting.Engine.Tests.Journal;

public sealed class JournalRecordHeaderTests
{
    [Fact]
    public void Header_round_trips_and_its_crc_covers_term_index_and_payload()
    {
        byte[] payload = [1, 2, 3, 4, 5];
        var header = new JournalRecordHeader(term: 3, index: 42, payload);
        var bytes = new byte[JournalRecordHeader.Size];
        header.Write(bytes);

        Assert.True(JournalRecordHeader.TryRead(bytes, out JournalRecordHeader read));
        Assert.Equal(header, read);
        Assert.True(read.Matches(payload));
        Assert.False(read.Matches([1, 2, 3, 4, 6]));
        Assert.NotEqual(header.Crc, new JournalRecordHeader(term: 4, index: 42, payload).Crc);
        Assert.NotEqual(header.Crc, new JournalRecordHeader(term: 3, index: 43, payload).Crc);
    }

    [Fact]
    public void Header_read_fails_on_short_input()
    {
        Assert.False(JournalRecordHeader.TryRead(new byte[JournalRecordHeader.Size - 1], out _));
    }
}
