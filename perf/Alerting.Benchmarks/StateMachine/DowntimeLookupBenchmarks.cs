using System.Globalization;
using Alerting.Engine.State;
using Alerting.Protocol.Log;
using BenchmarkDotNet.Attributes;

namespace Alerting.Benchmarks.StateMachine;

/// <summary>
/// Issue 7 item 5: what a group's mute costs at each evaluation, with <see cref="Downtimes"/> downtimes
/// that name no monitor, each scoped to one host (<c>host:hN</c>). <see cref="IndexedBook"/> reads the
/// downtime index (the group's tags' postings); <see cref="FlatScan"/> checks every downtime, as the
/// book did for downtimes that name no monitor before the index (the baseline, same run). In process:
/// on the shared machine the generated project does not build within BenchmarkDotNet's two minutes.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 3, iterationCount: 10)]
[InProcess]
public class DowntimeLookupBenchmarks
{
    private const long T0 = 1_800_000_000_000;

    private readonly DowntimeBook _book = new();
    private readonly DowntimeSet _flat = new();
    private string[] _tags = [];

    [Params(1_000, 10_000)]
    public int Downtimes { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        for (var i = 0; i < Downtimes; i++)
        {
            var downtime = new Downtime
            {
                Id = "d" + i.ToString(CultureInfo.InvariantCulture),
                Scope = { "host:h" + i.ToString(CultureInfo.InvariantCulture) },
                StartUnixMs = T0,
                EndUnixMs = T0 + 3_600_000,
            };
            if (!_book.TryUpsert(downtime, out _))
            {
                throw new InvalidOperationException("a benchmark downtime was refused");
            }

            _flat.Upsert(DowntimeModel.FromProto(downtime));
        }

        // A group the last downtime covers: the flat scan reads them all either way.
        _tags = ["env:prod", "host:h" + (Downtimes - 1).ToString(CultureInfo.InvariantCulture)];
    }

    [Benchmark]
    public bool IndexedBook() => _book.Evaluate("m", "env:prod,host:h", _tags, T0 + 1).Muted;

    [Benchmark(Baseline = true)]
    public bool FlatScan() => _flat.Evaluate("m", "env:prod,host:h", _tags, T0 + 1).Muted;
}
