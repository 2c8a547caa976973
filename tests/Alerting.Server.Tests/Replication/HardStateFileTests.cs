using Alerting.Replication;
using Alerting.Server.Replication;

namespace Alerting.Server.Tests.Replication;

public sealed class HardStateFileTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("alerting-hardstate-").FullName;

    [Fact]
    public void A_missing_file_is_the_empty_state_and_a_written_state_reads_back()
    {
        var file = new HardStateFile(_directory);
        Assert.Equal(default, file.Read());

        var state = new HardState(Term: 7, VotedFor: 2, Commit: 1234, FrontierIndex: 1200, FrontierTerm: 6);
        file.Write(state);
        Assert.Equal(state, new HardStateFile(_directory).Read());

        var later = state with { Term = 8, VotedFor = 0 };
        file.Write(later);
        Assert.Equal(later, file.Read());
        Assert.False(File.Exists(file.FilePath + ".tmp"), "the temporary file is renamed over the state");
    }

    [Fact]
    public void A_damaged_file_is_refused_rather_than_read_as_some_other_term_or_vote()
    {
        var file = new HardStateFile(_directory);
        file.Write(new HardState(3, 1, 10, 0, 0));
        var bytes = File.ReadAllBytes(file.FilePath);
        bytes[10] ^= 0x01;
        File.WriteAllBytes(file.FilePath, bytes);

        var error = Assert.Throws<InvalidDataException>(() => file.Read());
        Assert.Contains("damaged", error.Message, StringComparison.Ordinal);

        File.WriteAllBytes(file.FilePath, bytes[..20]);
        Assert.Throws<InvalidDataException>(() => file.Read());
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
