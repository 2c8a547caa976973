using Alerting.Protocol.V1;

namespace Alerting.Cli.Files;

/// <summary>Turns a stream of <see cref="CheckRunLine"/> lines into write batches, collecting malformed lines (skipped) with their line number.</summary>
internal sealed class CheckRunReader(string file, TextReader reader, Func<long> nowUnixMs, int batchSize = PointReader.DefaultBatchSize)
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
            if (!CheckRunLine.TryParse(line, nowUnixMs(), out CheckRunInput? run, out string error))
            {
                _errors.Add(new FileError(file, lineNumber, 0, "", error));
                continue;
            }

            if (run is null)
            {
                continue;
            }

            batch.CheckRuns.Add(run);
            if (batch.CheckRuns.Count == batchSize)
            {
                yield return batch;
                batch = new WriteRequest { BatchId = batch.BatchId + 1 };
            }
        }

        if (batch.CheckRuns.Count > 0)
        {
            yield return batch;
        }
    }
}
