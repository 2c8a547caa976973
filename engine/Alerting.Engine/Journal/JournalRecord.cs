using System.Runtime.InteropServices;

namespace Alerting.Engine.Journal;

/// <summary>
/// One verified journal entry as returned by <see cref="JournalScanner"/>. <see cref="Payload"/>
/// points into the scanner's reusable buffer: it is valid until the scanner's next call.
/// </summary>
[StructLayout(LayoutKind.Auto)]
public readonly record struct JournalRecord(long Index, ulong Term, ReadOnlyMemory<byte> Payload);
