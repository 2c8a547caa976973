using Alerting.Protocol.V1;
using Google.Protobuf.Collections;

namespace Alerting.Cli.Files;

/// <summary>Turns a stream of <see cref="PointLine"/> lines into write batches, collecting malformed lines (skipped) with their line number.</summary>
internal sealed class PointReader(string file, TextReader reader, Func<long> nowUnixMs, int batchSize = PointReader.DefaultBatchSize)
    : LineBatchReader<Point>(file, reader, nowUnixMs, batchSize)
{
    /// <summary>Points per <see cref="WriteRequest"/>: large enough to amortise a round trip, small enough to stay far below message size limits.</summary>
    public const int DefaultBatchSize = 1_000;

    protected override bool TryParse(string line, long nowUnixMs, out Point? item, out string error) =>
        PointLine.TryParse(line, nowUnixMs, out item, out error);

    protected override RepeatedField<Point> ItemsOf(WriteRequest batch) => batch.Points;
}
