using Alerting.Protocol.V1;
using Google.Protobuf.Collections;

namespace Alerting.Cli.Files;

/// <summary>Turns a stream of <see cref="CheckRunLine"/> lines into write batches, collecting malformed lines (skipped) with their line number.</summary>
internal sealed class CheckRunReader(string file, TextReader reader, Func<long> nowUnixMs, int batchSize = PointReader.DefaultBatchSize)
    : LineBatchReader<CheckRunInput>(file, reader, nowUnixMs, batchSize)
{
    protected override bool TryParse(string line, long nowUnixMs, out CheckRunInput? item, out string error) =>
        CheckRunLine.TryParse(line, nowUnixMs, out item, out error);

    protected override RepeatedField<CheckRunInput> ItemsOf(WriteRequest batch) => batch.CheckRuns;
}
