using System.Diagnostics;
using Alerting.Engine.Journal;
using BenchmarkDotNet.Attributes;
using HdrHistogram;

namespace Alerting.Benchmarks.Journal;

/// <summary>
/// B3: 64-byte entries appended by one thread, made durable by the journal's group commit,
/// against a bare FileStream write + Flush(true) per fixed group in the same run.
/// Throughput is durable entries per second (OperationsPerInvoke). Commit / fsync latency
/// percentiles come from HDR histograms printed by <see cref="Cleanup"/>.
/// </summary>
[MemoryDiagnoser]
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "BenchmarkDotNet owns the lifetime: [GlobalCleanup] disposes the journal and the file.")]
public class JournalAppendBenchmarks
{
    /// <summary>Entries made durable per benchmark invocation.</summary>
    public const int EntriesPerInvoke = 200_000;

    /// <summary>Entries per fsync in the bare-file baseline.</summary>
    public const int BaselineGroupEntries = 25_000;

    private const int EntryBytes = 64;
    private const long HistogramMaxMicroseconds = 60_000_000;

    private readonly byte[] _entry = new byte[EntryBytes];
    private readonly LongHistogram _commitMicros = new(HistogramMaxMicroseconds, 3);
    private readonly LongHistogram _groupEntries = new(10_000_000, 3);
    private readonly LongHistogram _fsyncMicros = new(HistogramMaxMicroseconds, 3);
    private readonly byte[] _baselineGroup = new byte[BaselineGroupEntries * (EntryBytes + JournalRecordHeader.Size)];
    private string _directory = "";
    private FasterJournal? _journal;
    private FileStream? _baselineFile;
    private long _threadPoolItemsAtSetup;
    private long _threadPoolItemsInJournal;

    [GlobalSetup]
    public void Setup()
    {
        _directory = Path.Combine(Path.GetTempPath(), "alerting-b3-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_directory);
        _journal = FasterJournal.Open(new JournalOptions { Directory = Path.Combine(_directory, "journal") });
        _journal.CommitObserver = (ticks, entries) =>
        {
            _commitMicros.RecordValue(Math.Max(1, ticks * 1_000_000 / Stopwatch.Frequency));
            _groupEntries.RecordValue(Math.Max(1, entries));
        };
        _baselineFile = new FileStream(Path.Combine(_directory, "baseline.bin"), FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 0);
    }

    [IterationSetup(Target = nameof(JournalAppendWithGroupCommit))]
    public void CountThreadPoolItems() => _threadPoolItemsAtSetup = ThreadPool.CompletedWorkItemCount;

    [Benchmark(Baseline = true, OperationsPerInvoke = EntriesPerInvoke)]
    public long BareFileWriteAndFlushPerGroup()
    {
        FileStream file = _baselineFile!;
        if (file.Position > 256L << 20)
        {
            file.Position = 0;
        }

        for (int group = 0; group < EntriesPerInvoke / BaselineGroupEntries; group++)
        {
            long started = Stopwatch.GetTimestamp();
            file.Write(_baselineGroup);
            file.Flush(flushToDisk: true);
            _fsyncMicros.RecordValue(Math.Max(1, (Stopwatch.GetTimestamp() - started) * 1_000_000 / Stopwatch.Frequency));
        }

        return file.Position;
    }

    [Benchmark(OperationsPerInvoke = EntriesPerInvoke)]
    public long JournalAppendWithGroupCommit()
    {
        FasterJournal journal = _journal!;
        long last = 0;
        for (int i = 0; i < EntriesPerInvoke; i++)
        {
            last = journal.Append(_entry, 1);
        }

        journal.WaitForDurable(last);
        return last;
    }

    [IterationCleanup(Target = nameof(JournalAppendWithGroupCommit))]
    public void DropDurablePrefix()
    {
        // Thread-pool work items run while the journal benchmark ran: the hand-offs its commit path makes.
        _threadPoolItemsInJournal += ThreadPool.CompletedWorkItemCount - _threadPoolItemsAtSetup;

        // Keeps the benchmark's disk footprint bounded: whole segments before it are deleted.
        FasterJournal journal = _journal!;
        if (journal.DurableIndex > journal.FirstIndex)
        {
            journal.TruncateBefore(journal.DurableIndex);
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        long commits = _journal?.CommitCount ?? 0;
        _journal?.Dispose();
        if (commits > 0)
        {
            Console.WriteLine($"B3 thread-pool work items during journal iterations: {_threadPoolItemsInJournal} for {commits} group commits ({(double)_threadPoolItemsInJournal / commits:F1} per commit)");
        }

        _baselineFile?.Dispose();
        Print("journal group commit latency (us)", _commitMicros);
        Print("journal entries per group commit", _groupEntries);
        Print($"bare write + fsync per {BaselineGroupEntries}-entry group latency (us)", _fsyncMicros);
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // Left for the OS temp cleaner; a benchmark must not fail on cleanup.
        }
    }

    private static void Print(string what, LongHistogram histogram)
    {
        if (histogram.TotalCount == 0)
        {
            return;
        }

        Console.WriteLine(
            $"B3 {what}: count {histogram.TotalCount} mean {histogram.GetMean():F1} p50 {histogram.GetValueAtPercentile(50)} p99 {histogram.GetValueAtPercentile(99)} p99.9 {histogram.GetValueAtPercentile(99.9)} max {histogram.GetMaxValue()}");
    }
}
