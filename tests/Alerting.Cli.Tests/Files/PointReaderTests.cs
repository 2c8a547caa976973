using Alerting.Cli.Files;
using Alerting.Protocol.V1;

namespace Alerting.Cli.Tests.Files;

public sealed class PointReaderTests
{
    [Fact]
    public void Points_are_cut_into_batches_with_increasing_ids()
    {
        string text = string.Join('\n', Enumerable.Range(0, 7).Select(i => $"m {i}"));
        var reader = new PointReader("p.txt", new StringReader(text), () => 42, batchSize: 3);

        List<WriteRequest> batches = reader.Batches().ToList();

        Assert.Equal([3, 3, 1], batches.Select(b => b.Points.Count));
        Assert.Equal([1UL, 2UL, 3UL], batches.Select(b => b.BatchId));
        Assert.Equal(Enumerable.Range(0, 7).Select(i => (double)i), batches.SelectMany(b => b.Points).Select(p => p.Value));
        Assert.All(batches.SelectMany(b => b.Points), p => Assert.Equal(42, p.UnixMs));
    }

    [Fact]
    public void The_default_batch_holds_one_thousand_points()
    {
        string text = string.Join('\n', Enumerable.Range(0, PointReader.DefaultBatchSize + 1).Select(i => $"m {i}"));

        List<WriteRequest> batches = new PointReader("p.txt", new StringReader(text), () => 0).Batches().ToList();

        Assert.Equal([PointReader.DefaultBatchSize, 1], batches.Select(b => b.Points.Count));
    }

    [Fact]
    public void Malformed_lines_are_skipped_and_reported_with_their_line_number()
    {
        var reader = new PointReader("p.txt", new StringReader("# header\nm 1\nm x\n\nm 2\nm{ 3\n"), () => 0);

        List<WriteRequest> batches = reader.Batches().ToList();

        Assert.Equal([1.0, 2.0], Assert.Single(batches).Points.Select(p => p.Value));
        Assert.Equal([3, 6], reader.Errors.Select(e => e.Line));
        Assert.StartsWith("p.txt:3: value 'x'", reader.Errors[0].ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void The_example_points_file_parses_and_targets_web_1()
    {
        var reader = new PointReader("points.txt", new StringReader(File.ReadAllText(MonitorFileTests.ExamplePath("points.txt"))), () => 7);

        List<Point> points = reader.Batches().SelectMany(b => b.Points).ToList();

        Assert.Empty(reader.Errors);
        Assert.Contains(points, p => p.Metric == "system.cpu.user" && p.Tags.Contains("host:web-1") && p.Value > 90 && p.UnixMs == 7);
    }
}
