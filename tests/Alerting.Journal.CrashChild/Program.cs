using Alerting.Engine.Journal;
using Alerting.Journal.CrashChild;

// Crash-test child: appends entries to the journal in args[0] forever and prints
// "ACK <index>" once each entry is durable. The parent kills it with SIGKILL at a random
// moment and checks that every acknowledged entry survived.
if (args.Length != 1)
{
    Console.Error.WriteLine("usage: Alerting.Journal.CrashChild <journal directory>");
    return 2;
}

using FasterJournal journal = FasterJournal.Open(CrashChildPayload.Options(args[0]));
Console.Out.WriteLine($"READY {journal.LastIndex}");
Console.Out.Flush();

var payload = new byte[CrashChildPayload.MaxBytes];
long acknowledged = journal.DurableIndex;
while (true)
{
    long index = journal.LastIndex + 1;
    int length = CrashChildPayload.Fill(index, payload);
    journal.Append(payload.AsSpan(0, length), CrashChildPayload.Term);

    long durable = journal.DurableIndex;
    if (durable > acknowledged || index % CrashChildPayload.AppendsPerAckCheck == 0)
    {
        journal.WaitForDurable(index);
        durable = journal.DurableIndex;
        for (long i = acknowledged + 1; i <= durable; i++)
        {
            Console.Out.WriteLine($"ACK {i}");
        }

        Console.Out.Flush();
        acknowledged = durable;
    }
}
