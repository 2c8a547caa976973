using System.Text;
using Alerting.Engine.Journal;
using CsCheck;

namespace Alerting.Engine.Tests.Journal;

public sealed class Crc32CTests
{
    [Theory]
    [InlineData("", 0x00000000u)]
    [InlineData("a", 0xC1D04330u)]
    [InlineData("abc", 0x364B3FB7u)]
    [InlineData("123456789", 0xE3069283u)]
    [InlineData("The quick brown fox jumps over the lazy dog", 0x22620404u)]
    public void Crc32C_matches_published_check_values(string text, uint expected)
    {
        Assert.Equal(expected, Crc32C.Compute(Encoding.ASCII.GetBytes(text)));
    }

    [Fact]
    public void Crc32C_of_32_zero_bytes_matches_rfc3720_vector()
    {
        // RFC 3720 (iSCSI) B.4 test vectors.
        Assert.Equal(0x8A9136AAu, Crc32C.Compute(new byte[32]));
        Assert.Equal(0x62A8AB43u, Crc32C.Compute(Enumerable.Repeat((byte)0xFF, 32).ToArray()));
        Assert.Equal(0x46DD794Eu, Crc32C.Compute(Enumerable.Range(0, 32).Select(i => (byte)i).ToArray()));
    }

    [Fact]
    public void Crc32C_agrees_with_bitwise_reference_and_table_path_on_random_data()
    {
        Gen.Byte.Array[0, 200].Sample(data =>
        {
            uint reference = BitwiseReference(data);
            Assert.Equal(reference, Crc32C.Compute(data));
            Assert.Equal(reference, ~Crc32C.UpdateTable(~0u, data));
        });
    }

    [Fact]
    public void Crc32C_append_equals_crc_of_concatenation()
    {
        Gen.Select(Gen.Byte.Array[0, 64], Gen.Byte.Array[0, 64]).Sample((a, b) =>
            Assert.Equal(Crc32C.Compute([.. a, .. b]), Crc32C.Append(Crc32C.Compute(a), b)));
    }

    private static uint BitwiseReference(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFFu;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int bit = 0; bit < 8; bit++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0x82F63B78u : crc >> 1;
            }
        }

        return ~crc;
    }
}
