using System.Globalization;
using System.IO.Hashing;
using Alerting.Engine.Journal;
using Alerting.Engine.Pipeline;
using Alerting.Engine.Snapshots;
using Alerting.Replication;
using Google.Protobuf;
using Grpc.Core;
using Wire = Alerting.Protocol.Replication;

namespace Alerting.Server.Replication;

/// <summary>
/// Carrying the primary's snapshot to a replica that needs entries the primary no longer holds
/// (docs/replication.md, "Snapshot transfer"). The primary captures its state at its applied index
/// into a snapshot file of its own (<see cref="OutgoingDirectoryName"/>) and streams it in chunks
/// (<c>Replication.FetchSnapshot</c>) with the journal entry at that index. The replica writes the
/// chunks into a staging folder (<see cref="StagingDirectoryName"/>), checks each chunk's and the
/// whole file's XxHash64 and the file's own CRC, fsyncs, builds a journal that begins with that
/// entry, and only then renames the staging folder to <see cref="InstallDirectoryName"/> (atomic).
/// The next start (an in-place restart) swaps it in (<see cref="InstallStaged"/>). Anything that
/// fails before the rename leaves the replica's data as it was.
/// </summary>
public static class SnapshotTransfer
{
    /// <summary>Snapshot bytes per chunk (bounded memory on both sides).</summary>
    public const int ChunkBytes = 256 * 1024;

    /// <summary>Folder in the data folder where a fetch in progress writes; removed at start (an interrupted fetch).</summary>
    public const string StagingDirectoryName = "snapshot-install.tmp";

    /// <summary>A complete, verified fetch waiting to be swapped in at the next start.</summary>
    public const string InstallDirectoryName = "snapshot-install";

    /// <summary>The primary's captured snapshots for replicas (kept apart from its own <c>snapshots/</c>).</summary>
    public const string OutgoingDirectoryName = "snapshot-transfer";

    /// <summary>A snapshot the primary can send: its file, index, term of the entry there, and that entry's payload.</summary>
    public sealed record Outgoing(string Path, long Index, long Term, byte[] LastEntry);

    /// <summary>
    /// The newest captured snapshot at or above <paramref name="minIndex"/>, at or above the start of
    /// the core's log (<paramref name="logStart"/>: entries after it can still be shipped) and still in
    /// the journal; otherwise the state is captured now (at the applied index, which is at or above
    /// every index the core offered). One caller at a time (the replicator's gate).
    /// </summary>
    public static async Task<Outgoing> PrepareAsync(EngineNode node, string dataDirectory, long minIndex, long logStart, CancellationToken cancellationToken)
    {
        var store = new SnapshotStore(Path.Combine(dataDirectory, OutgoingDirectoryName));
        foreach (var index in store.ListIndexes())
        {
            if (index >= minIndex && index >= logStart && index >= node.JournalFirstIndex && TryReadEntry(node, index, out var term, out var entry))
            {
                return new Outgoing(store.PathFor(index), index, term, entry);
            }
        }

        var capture = node.TryCaptureState() ?? throw new RpcException(new Status(StatusCode.ResourceExhausted, "the primary's input ring is full; the snapshot is offered again"));
        var image = await capture.WaitAsync(cancellationToken).ConfigureAwait(false);
        if (image.Index < minIndex)
        {
            throw new RpcException(new Status(StatusCode.FailedPrecondition, $"the primary has applied up to {image.Index}, below the {minIndex} the replica needs"));
        }

        store.Write(image.Index, image.Term, image.Body);
        if (!TryReadEntry(node, image.Index, out var imageTerm, out var imageEntry))
        {
            throw new RpcException(new Status(StatusCode.Unavailable, $"the entry at {image.Index} is no longer in the primary's journal; the snapshot is offered again"));
        }

        return new Outgoing(store.PathFor(image.Index), image.Index, imageTerm, imageEntry);
    }

    /// <summary>Streams <paramref name="outgoing"/> in chunks; <paramref name="stillPrimary"/> is checked before each chunk (fencing).</summary>
    public static async Task SendAsync(Outgoing outgoing, long term, Func<bool> stillPrimary, IServerStreamWriter<Wire.SnapshotChunk> writer, CancellationToken cancellationToken, int chunkBytes = ChunkBytes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkBytes, 1);
        ArgumentNullException.ThrowIfNull(outgoing);
        ArgumentNullException.ThrowIfNull(stillPrimary);
        ArgumentNullException.ThrowIfNull(writer);
        await using var file = new FileStream(outgoing.Path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, bufferSize: 1, useAsync: true);
        var length = file.Length;
        var whole = new XxHash64();
        var buffer = new byte[chunkBytes];
        long offset = 0;
        var first = true;
        while (first || offset < length)
        {
            if (!stillPrimary())
            {
                throw new RpcException(new Status(StatusCode.FailedPrecondition, $"this node is no longer the primary of term {term}"));
            }

            var want = (int)Math.Min(chunkBytes, length - offset);
            var read = await file.ReadAtLeastAsync(buffer.AsMemory(0, want), want, throwOnEndOfStream: true, cancellationToken).ConfigureAwait(false);
            var data = buffer.AsSpan(0, read);
            whole.Append(data);
            var chunk = new Wire.SnapshotChunk
            {
                Term = term,
                LastIndex = outgoing.Index,
                LastTerm = outgoing.Term,
                FileBytes = length,
                Offset = offset,
                Data = ByteString.CopyFrom(data),
                DataXxhash64 = XxHash64.HashToUInt64(data),
            };
            if (first)
            {
                chunk.LastEntry = ByteString.CopyFrom(outgoing.LastEntry);
            }

            offset += read;
            if (offset == length)
            {
                chunk.Last = true;
                chunk.FileXxhash64 = whole.GetCurrentHashAsUInt64();
            }

            await writer.WriteAsync(chunk, cancellationToken).ConfigureAwait(false);
            first = false;
        }
    }

    /// <summary>
    /// Receives a snapshot into the staging folder and prepares the journal that continues after it.
    /// Returns the snapshot's (index, term). Throws on any gap, hash mismatch, term other than
    /// <paramref name="offerTerm"/> (a stale sender), or a snapshot below <paramref name="minIndex"/>;
    /// the staging folder is then left for the next attempt (or start) to remove.
    /// </summary>
    public static async Task<SnapshotRef> ReceiveAsync(IAsyncStreamReader<Wire.SnapshotChunk> chunks, string dataDirectory, EngineOptions engineOptions, long offerTerm, long minIndex, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(chunks);
        ArgumentNullException.ThrowIfNull(engineOptions);
        var staging = Path.Combine(dataDirectory, StagingDirectoryName);
        RemoveStaging(dataDirectory);
        var snapshots = Path.Combine(staging, EngineNode.SnapshotsDirectoryName);
        Directory.CreateDirectory(snapshots);

        Wire.SnapshotChunk? head = null;
        var whole = new XxHash64();
        long received = 0;
        var done = false;
        string? partial = null;
        FileStream? file = null;
        try
        {
            while (!done && await chunks.MoveNext(cancellationToken).ConfigureAwait(false))
            {
                var chunk = chunks.Current;
                if (chunk.Term != offerTerm)
                {
                    throw new InvalidDataException($"the sender is in term {chunk.Term}, not the offer's term {offerTerm}: refused");
                }

                if (head is null)
                {
                    if (chunk.LastIndex < minIndex || chunk.LastIndex < 1 || chunk.FileBytes <= 0 || chunk.LastEntry.IsEmpty)
                    {
                        throw new InvalidDataException($"the snapshot at {chunk.LastIndex} ({chunk.FileBytes} bytes) is not one this node can take (it needs {minIndex} or above, with its last entry)");
                    }

                    head = chunk;
                    partial = Path.Combine(snapshots, SnapshotStore.FileNameFor(chunk.LastIndex) + ".tmp");
                    file = new FileStream(partial, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1, useAsync: true);
                }
                else if (chunk.LastIndex != head.LastIndex || chunk.LastTerm != head.LastTerm || chunk.FileBytes != head.FileBytes)
                {
                    throw new InvalidDataException("a chunk names another snapshot than the first one");
                }

                if (chunk.Offset != received || received + chunk.Data.Length > head.FileBytes)
                {
                    throw new InvalidDataException($"chunk at offset {chunk.Offset} ({chunk.Data.Length} bytes) does not follow the {received} bytes received of {head.FileBytes}");
                }

                if (XxHash64.HashToUInt64(chunk.Data.Span) != chunk.DataXxhash64)
                {
                    throw new InvalidDataException($"chunk at offset {chunk.Offset} fails its XxHash64");
                }

                whole.Append(chunk.Data.Span);
                await file!.WriteAsync(chunk.Data.Memory, cancellationToken).ConfigureAwait(false);
                received += chunk.Data.Length;
                if (chunk.Last)
                {
                    if (received != head.FileBytes || whole.GetCurrentHashAsUInt64() != chunk.FileXxhash64)
                    {
                        throw new InvalidDataException($"the snapshot file ({received} of {head.FileBytes} bytes) fails its whole-file XxHash64");
                    }

                    done = true;
                }
            }

            if (!done || head is null)
            {
                throw new InvalidDataException($"the stream ended after {received} bytes, before the snapshot's last chunk");
            }

            file!.Flush(flushToDisk: true);
        }
        finally
        {
            if (file is not null)
            {
                await file.DisposeAsync().ConfigureAwait(false);
            }
        }

        File.Move(partial!, Path.Combine(snapshots, SnapshotStore.FileNameFor(head.LastIndex)));
        DirectorySync.Flush(snapshots);
        if (!new SnapshotStore(snapshots).TryLoad(head.LastIndex, out _, out var reason))
        {
            throw new InvalidDataException($"the received snapshot does not load: {reason}");
        }

        // The journal begins with the snapshot's last entry, so snapshot and journal join up at open.
        using (var journal = FasterJournal.Open(JournalOptionsFor(engineOptions, Path.Combine(staging, EngineNode.JournalDirectoryName))))
        {
            journal.AppendFirst(head.LastIndex, (ulong)head.LastTerm, head.LastEntry.Span);
            await journal.WaitForDurableAsync(head.LastIndex, cancellationToken).ConfigureAwait(false);
        }

        DirectorySync.Flush(staging);
        return new SnapshotRef(head.LastIndex, head.LastTerm);
    }

    /// <summary>The fetch is complete and still wanted: the staging folder becomes the install folder (one atomic rename).</summary>
    public static void MarkReady(string dataDirectory)
    {
        Directory.Move(Path.Combine(dataDirectory, StagingDirectoryName), Path.Combine(dataDirectory, InstallDirectoryName));
        DirectorySync.Flush(dataDirectory);
    }

    /// <summary>Removes what an unfinished fetch left (no error if there is none).</summary>
    public static void RemoveStaging(string dataDirectory)
    {
        var staging = Path.Combine(dataDirectory, StagingDirectoryName);
        if (Directory.Exists(staging))
        {
            Directory.Delete(staging, recursive: true);
            DirectorySync.Flush(dataDirectory);
        }
    }

    /// <summary>
    /// At start, before the engine opens: swaps a complete fetch in. The hard state is written first
    /// (commit at the snapshot, the frontier raised to the end of the log being dropped, as a resync
    /// does), then the old journal, snapshots and manifest move into a <c>discarded-*</c> folder and
    /// the fetched ones take their place. Each step can be repeated after a crash. Returns the
    /// installed snapshot, or null when there was nothing to install.
    /// </summary>
    public static SnapshotRef? InstallStaged(string dataDirectory, EngineOptions engineOptions, HardStateFile hardStateFile, TimeProvider time, Action<string> log)
    {
        ArgumentNullException.ThrowIfNull(engineOptions);
        ArgumentNullException.ThrowIfNull(hardStateFile);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(log);
        RemoveStaging(dataDirectory);
        var install = Path.Combine(dataDirectory, InstallDirectoryName);
        if (!Directory.Exists(install))
        {
            return null;
        }

        var journalDirectory = Path.Combine(dataDirectory, EngineNode.JournalDirectoryName);
        var stagedJournal = Path.Combine(install, EngineNode.JournalDirectoryName);
        var (index, term) = Peek(Directory.Exists(stagedJournal) ? stagedJournal : journalDirectory, engineOptions);
        var (lastIndex, lastTerm) = Peek(journalDirectory, engineOptions);
        var hardState = hardStateFile.Read();
        var raise = lastIndex > index && ((long)lastTerm > hardState.FrontierTerm || ((long)lastTerm == hardState.FrontierTerm && lastIndex > hardState.FrontierIndex));
        hardStateFile.Write(hardState with
        {
            Commit = index,
            FrontierIndex = raise ? lastIndex : hardState.FrontierIndex,
            FrontierTerm = raise ? (long)lastTerm : hardState.FrontierTerm,
        });

        var discarded = Path.Combine(dataDirectory, "discarded-" + time.GetUtcNow().ToString("yyyyMMdd'T'HHmmssfff'Z'", CultureInfo.InvariantCulture) + "-before-snapshot");
        Directory.CreateDirectory(discarded);
        var manifest = Path.Combine(dataDirectory, DataFolderManifest.FileName);
        if (File.Exists(manifest))
        {
            File.Move(manifest, Path.Combine(discarded, DataFolderManifest.FileName));
        }

        foreach (var name in new[] { EngineNode.JournalDirectoryName, EngineNode.SnapshotsDirectoryName })
        {
            var staged = Path.Combine(install, name);
            if (!Directory.Exists(staged))
            {
                continue;
            }

            var current = Path.Combine(dataDirectory, name);
            if (Directory.Exists(current))
            {
                Directory.Move(current, Path.Combine(discarded, name));
            }

            Directory.Move(staged, current);
        }

        // The fetched journal replaces one that conflicted with the primary's: nothing is left to resync.
        File.Delete(Path.Combine(dataDirectory, Replicator.ResyncMarker));
        DirectorySync.Flush(discarded);
        DirectorySync.Flush(dataDirectory);
        Directory.Delete(install, recursive: true);
        DirectorySync.Flush(dataDirectory);
        log($"alerting: replication: installed the primary's snapshot at index {index} (term {term}); the previous data is in {discarded}{(raise ? $"; frontier raised to {lastIndex} (term {lastTerm})" : string.Empty)}");
        return new SnapshotRef(index, (long)term);
    }

    /// <summary>The durable end of the journal in <paramref name="directory"/>, (0, 0) when there is none.</summary>
    internal static (long LastIndex, ulong LastTerm) Peek(string directory, EngineOptions options)
    {
        if (!Directory.Exists(directory))
        {
            return (0, 0);
        }

        using var journal = FasterJournal.Open(JournalOptionsFor(options, directory));
        return (journal.DurableIndex, journal.TryGetTerm(journal.DurableIndex, out var term) ? term : journal.LastTerm);
    }

    private static JournalOptions JournalOptionsFor(EngineOptions options, string directory) => new()
    {
        Directory = directory,
        PageSizeBits = options.JournalPageSizeBits,
        MemorySizeBits = options.JournalMemorySizeBits,
        SegmentSizeBits = options.JournalSegmentSizeBits,
    };

    private static bool TryReadEntry(EngineNode node, long index, out long term, out byte[] payload)
    {
        term = 0;
        payload = [];
        if (index < node.JournalFirstIndex || index > node.DurableIndex)
        {
            return false;
        }

        using var scanner = node.ScanJournal(index);
        if (!scanner.TryNext(out var record) || record.Index != index)
        {
            return false;
        }

        term = (long)record.Term;
        payload = record.Payload.ToArray();
        return true;
    }
}
