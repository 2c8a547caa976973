using Alerting.Protocol.V1;
using Google.Protobuf.Collections;

namespace Alerting.Cli.Files;

/// <summary>
/// Turns a stream of one-item-per-line text into write batches of at most <paramref name="batchSize"/>
/// items, collecting malformed lines (skipped) with their line number. A line that parses to no item
/// (blank, comment) is skipped silently.
/// </summary>
internal abstract class LineBatchReader<T>(string file, TextReader reader, Func<long> nowUnixMs, int batchSize)
    where T : class
{
    private readonly List<FileError> _errors = [];

    /// <summary>Malformed lines seen so far, in order.</summary>
    public IReadOnlyList<FileError> Errors => _errors;

    public IEnumerable<WriteRequest> Batches()
    {
        if (batchSize <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "batch size must be positive");
        }

        var batch = new WriteRequest { BatchId = 1 };
        int lineNumber = 0;
        for (string? line = reader.ReadLine(); line is not null; line = reader.ReadLine())
        {
            lineNumber++;
            if (!TryParse(line, nowUnixMs(), out T? item, out string error))
            {
                _errors.Add(new FileError(file, lineNumber, 0, "", error));
                continue;
            }

            if (item is null)
            {
                continue;
            }

            var items = ItemsOf(batch);
            items.Add(item);
            if (items.Count == batchSize)
            {
                yield return batch;
                batch = new WriteRequest { BatchId = batch.BatchId + 1 };
            }
        }

        if (ItemsOf(batch).Count > 0)
        {
            yield return batch;
        }
    }

    /// <summary>Parses one line: false with an error for a malformed line, true with a null item for a line that holds none.</summary>
    protected abstract bool TryParse(string line, long nowUnixMs, out T? item, out string error);

    /// <summary>The list of the batch the items go to.</summary>
    protected abstract RepeatedField<T> ItemsOf(WriteRequest batch);
}
