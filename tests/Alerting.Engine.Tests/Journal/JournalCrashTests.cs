using System.Diagnostics;
using Alerting.Engine.Journal;
using Alerting.Journal.CrashChild;
using Xunit.Abstractions;

namespace Alerting.Engine.Tests.Journal;

/// <summary>
/// kill -9 a child process that appends and acknowledges durable entries, many times over the
/// same directory, and check after each kill that every acknowledged entry survived.
/// </summary>
public sealed class JournalCrashTests(ITestOutputHelper output)
{
    private const int Cycles = 20;
    private const int MaxAcksPerCycle = 400;

    [Fact]
    public void Every_acknowledged_entry_survives_repeated_kill_9_of_the_writer()
    {
        // Replay a failure with JOURNAL_CRASH_SEED=<seed printed below>.
        int seed = int.TryParse(Environment.GetEnvironmentVariable("JOURNAL_CRASH_SEED"), out int replay) ? replay : Environment.TickCount;
        output.WriteLine($"seed {seed}");
        var random = new Random(seed);
        using var dir = new TempDirectory();
        long highestAck = 0;

        for (int cycle = 0; cycle < Cycles; cycle++)
        {
            int acksWanted = 1 + random.Next(MaxAcksPerCycle);
            long startedAt;
            long lastAck;
            using (Process child = StartChild(dir.Path))
            {
                string ready = child.StandardOutput.ReadLine() ?? throw new InvalidOperationException($"seed {seed} cycle {cycle}: child exited before READY: {child.StandardError.ReadToEnd()}");
                startedAt = long.Parse(ready["READY ".Length..]);
                Assert.True(startedAt >= highestAck, $"seed {seed} cycle {cycle}: child reopened at {startedAt}, below acknowledged {highestAck}");

                lastAck = startedAt;
                for (int acks = 0; acks < acksWanted;)
                {
                    string line = child.StandardOutput.ReadLine() ?? throw new InvalidOperationException($"seed {seed} cycle {cycle}: child exited: {child.StandardError.ReadToEnd()}");
                    long ack = long.Parse(line["ACK ".Length..]);
                    Assert.True(ack == lastAck + 1, $"seed {seed} cycle {cycle}: ack {ack} after {lastAck}");
                    lastAck = ack;
                    acks++;
                }

                // Process.Kill sends SIGKILL on Unix: no finalizers, no Dispose, no final commit.
                child.Kill();
                child.WaitForExit();
            }

            highestAck = Math.Max(highestAck, lastAck);
            using FasterJournal journal = FasterJournal.Open(CrashChildPayload.Options(dir.Path));
            Assert.True(journal.LastIndex >= highestAck, $"seed {seed} cycle {cycle}: recovered to {journal.LastIndex}, acknowledged {highestAck}");
            var expected = new byte[CrashChildPayload.MaxBytes];
            long next = 1;
            using JournalScanner scanner = journal.Scan(1);
            while (scanner.TryNext(out JournalRecord record))
            {
                Assert.Equal(next, record.Index);
                int length = CrashChildPayload.Fill(record.Index, expected);
                Assert.True(expected.AsSpan(0, length).SequenceEqual(record.Payload.Span), $"seed {seed} cycle {cycle}: payload of index {record.Index} differs");
                next++;
            }

            Assert.Equal(journal.LastIndex + 1, next);
        }

        output.WriteLine($"{Cycles} cycles, {highestAck} entries acknowledged");
    }

    private static Process StartChild(string directory)
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "Alerting.Journal.CrashChild.dll");
        var start = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(dll);
        start.ArgumentList.Add(directory);
        return Process.Start(start) ?? throw new InvalidOperationException("could not start the crash child");
    }

    private static string DotnetHost()
    {
        // The test host may itself be an apphost; the CLI tells children where dotnet is.
        string? fromCli = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(fromCli) && File.Exists(fromCli))
        {
            return fromCli;
        }

        string? current = Environment.ProcessPath;
        return current is not null && Path.GetFileNameWithoutExtension(current) == "dotnet" ? current : "dotnet";
    }
}
