using System.Runtime.InteropServices;
using FASTER.core;
using Microsoft.Win32.SafeHandles;

namespace Alerting.Engine.Journal;

/// <summary>
/// FasterLog's storage device for the journal: segment files <c>prefix.N</c> written with
/// <see cref="RandomAccess"/> (<c>pwrite</c> through the page cache: .NET has no <c>O_DIRECT</c>
/// on Linux) and made durable with one <c>fdatasync</c> per segment touched, on the journal's
/// commit thread.
/// <para>
/// Why not FASTER's own device: on Linux, FASTER 2.6.5 uses <c>ManagedLocalStorageDevice</c>,
/// where every page write is a <c>Task.Run</c>, an async <c>WriteAsync</c> with <c>O_SYNC</c>, an
/// async <c>FlushAsync</c> and a completion callback on yet another pool thread: several thread-pool
/// hand-offs per group commit, each waiting for a time slice on a busy machine (B3, see
/// docs/performance-journal.md). Here FasterLog's flush only queues the write; the commit thread
/// (<see cref="DrainWrites"/>) writes every queued page, syncs once, then completes them.
/// </para>
/// <para>
/// Until <see cref="QueueWritesTo"/> is called (while FasterLog opens and recovers) and after
/// <see cref="StopQueueing"/> (while it closes), writes run inline on the calling thread, so
/// nothing can wait on a commit thread that does not exist. Reads and segment removal always
/// run inline. The write callback reports success only after the data is on stable storage:
/// FasterLog writes its commit metadata after that callback, so an acknowledged entry is fsynced.
/// </para>
/// </summary>
internal sealed partial class SegmentFileDevice : StorageDeviceBase
{
    /// <summary>FasterLog aligns every read and write to this (it pads a flush to whole sectors).</summary>
    private const uint SectorBytes = 512;

    /// <summary>errno-style code FASTER receives for a failed write or read (it only tests for non-zero).</summary>
    private const uint IoErrorCode = uint.MaxValue;

    private readonly Lock _gate = new();
    private readonly Dictionary<int, SafeFileHandle> _segments = [];
    private readonly Queue<PendingWrite> _queued = new();
    private readonly List<PendingWrite> _draining = [];
    private readonly List<SafeFileHandle> _toSync = [];
    private Action? _writeQueued;
    private bool _failed;
    private bool _disposed;
    private long _writes;
    private long _syncs;

    /// <param name="filePrefix">Path prefix of the segment files; segment N is <c>filePrefix.N</c>.</param>
    public SegmentFileDevice(string filePrefix)
        : base(filePrefix, SectorBytes, Devices.CAPACITY_UNSPECIFIED)
    {
        RecoverSegments();
    }

    /// <summary>Page writes completed (for tests and benchmarks).</summary>
    internal long Writes => Volatile.Read(ref _writes);

    /// <summary><c>fdatasync</c> calls made (for tests and benchmarks).</summary>
    internal long Syncs => Volatile.Read(ref _syncs);

    /// <summary>Whether writes are waiting for <see cref="DrainWrites"/>.</summary>
    internal bool HasQueuedWrites
    {
        get
        {
            lock (_gate)
            {
                return _queued.Count > 0;
            }
        }
    }

    /// <summary>
    /// From now on writes are queued for <see cref="DrainWrites"/>, and <paramref name="writeQueued"/>
    /// is called (on FasterLog's thread, after the write is queued) to wake the thread that drains.
    /// </summary>
    internal void QueueWritesTo(Action writeQueued)
    {
        ArgumentNullException.ThrowIfNull(writeQueued);
        lock (_gate)
        {
            _writeQueued = writeQueued;
        }
    }

    /// <summary>
    /// Writes run inline again. Writes still queued (a page flushed while the journal closed)
    /// are written now; if that fails they complete with an error, as they would in DrainWrites.
    /// </summary>
    internal void StopQueueing()
    {
        lock (_gate)
        {
            _writeQueued = null;
        }

        try
        {
            DrainWrites();
        }
        catch (IOException)
        {
            // FASTER was told through the writes' error codes; the journal is closing.
        }
    }

    /// <summary>
    /// The journal failed: from now on every write completes at once with an error and writes
    /// nothing, and every write still queued completes with an error now. FasterLog then treats
    /// those pages as flushed (with an error), so an appender waiting inside
    /// <c>FasterLog.Enqueue</c> for a free page returns instead of waiting for a commit thread
    /// that no longer drains. A drain already under way completes its own writes.
    /// </summary>
    internal void FailWrites()
    {
        PendingWrite[] stranded;
        lock (_gate)
        {
            _failed = true;
            stranded = [.. _queued];
            _queued.Clear();
        }

        foreach (PendingWrite write in stranded)
        {
            write.Callback(IoErrorCode, 0, write.Context);
        }
    }

    /// <summary>
    /// Writes every queued page, <c>fdatasync</c>s each segment written once, then completes the
    /// writes in the order they were queued. Returns false when nothing was queued. Only one
    /// thread may drain. On an I/O error every drained write completes with an error code and
    /// the exception is rethrown: the caller must stop making entries durable.
    /// </summary>
    internal bool DrainWrites()
    {
        lock (_gate)
        {
            if (_queued.Count == 0)
            {
                return false;
            }

            _draining.AddRange(_queued);
            _queued.Clear();
        }

        Exception? failure = null;
        try
        {
            foreach (PendingWrite write in _draining)
            {
                SafeFileHandle segment = Segment(write.SegmentId);
                WriteAt(segment, write.Source, write.Bytes, write.Offset);
                Interlocked.Increment(ref _writes);
                if (!_toSync.Contains(segment))
                {
                    _toSync.Add(segment);
                }
            }

            foreach (SafeFileHandle segment in _toSync)
            {
                DataSync(segment);
            }
        }
#pragma warning disable CA1031 // Every failure is reported to FasterLog and rethrown to the commit thread.
        catch (Exception e)
#pragma warning restore CA1031
        {
            failure = e;
        }

        _toSync.Clear();
        foreach (PendingWrite write in _draining)
        {
            write.Callback(failure is null ? 0 : IoErrorCode, failure is null ? write.Bytes : 0, write.Context);
        }

        _draining.Clear();
        if (failure is not null)
        {
            throw new IOException($"Journal segment write or fdatasync failed under '{FileName}': {failure.Message}", failure);
        }

        return true;
    }

    public override void WriteAsync(IntPtr sourceAddress, int segmentId, ulong destinationAddress, uint numBytesToWrite, DeviceIOCompletionCallback callback, object context)
    {
        Action? wake;
        lock (_gate)
        {
            if (_failed)
            {
                wake = null;
            }
            else if (_disposed)
            {
                wake = null;
            }
            else
            {
                wake = _writeQueued;
                if (wake is not null)
                {
                    _queued.Enqueue(new PendingWrite(sourceAddress, segmentId, (long)destinationAddress, numBytesToWrite, callback, context));
                }
            }
        }

        if (wake is not null)
        {
            wake();
            return;
        }

        if (Volatile.Read(ref _failed))
        {
            callback(IoErrorCode, 0, context);
            return;
        }

        uint error = 0;
        try
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed), this);
            SafeFileHandle segment = Segment(segmentId);
            WriteAt(segment, sourceAddress, numBytesToWrite, (long)destinationAddress);
            Interlocked.Increment(ref _writes);
            DataSync(segment);
        }
#pragma warning disable CA1031 // FASTER learns of the failure through the error code.
        catch (Exception)
#pragma warning restore CA1031
        {
            error = IoErrorCode;
        }

        callback(error, error == 0 ? numBytesToWrite : 0, context);
    }

    public override unsafe void ReadAsync(int segmentId, ulong sourceAddress, IntPtr destinationAddress, uint readLength, DeviceIOCompletionCallback callback, object context)
    {
        uint error = 0;
        int read = 0;
        try
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed), this);
            read = RandomAccess.Read(Segment(segmentId), new Span<byte>((void*)destinationAddress, checked((int)readLength)), (long)sourceAddress);
        }
#pragma warning disable CA1031 // FASTER learns of the failure through the error code.
        catch (Exception)
#pragma warning restore CA1031
        {
            error = IoErrorCode;
        }

        callback(error, (uint)read, context);
    }

    public override void RemoveSegment(int segment)
    {
        lock (_gate)
        {
            if (_segments.Remove(segment, out SafeFileHandle? handle))
            {
                handle.Dispose();
            }
        }

        File.Delete(GetSegmentFilename(FileName, segment));
    }

    public override void RemoveSegmentAsync(int segment, AsyncCallback callback, IAsyncResult result)
    {
        ArgumentNullException.ThrowIfNull(callback);
        RemoveSegment(segment);
        callback(result);
    }

    public override void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            foreach (SafeFileHandle handle in _segments.Values)
            {
                handle.Dispose();
            }

            _segments.Clear();
        }
    }

    private static unsafe void WriteAt(SafeFileHandle segment, IntPtr source, uint bytes, long offset) =>
        RandomAccess.Write(segment, new ReadOnlySpan<byte>((void*)source, checked((int)bytes)), offset);

    private void DataSync(SafeFileHandle segment)
    {
        if (OperatingSystem.IsLinux())
        {
            if (Fdatasync(segment) != 0)
            {
                throw new IOException($"fdatasync of a journal segment failed (errno {Marshal.GetLastPInvokeError()}).");
            }
        }
        else
        {
            RandomAccess.FlushToDisk(segment);
        }

        Interlocked.Increment(ref _syncs);
    }

    private SafeFileHandle Segment(int segmentId)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (!_segments.TryGetValue(segmentId, out SafeFileHandle? handle))
            {
                handle = OpenSegment(GetSegmentFilename(FileName, segmentId));
                _segments.Add(segmentId, handle);
            }

            return handle;
        }
    }

    private static SafeFileHandle OpenSegment(string path) =>
        File.OpenHandle(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite);

    /// <summary>Finds the segment files left by an earlier run (FasterLog truncates from StartSegment).</summary>
    private void RecoverSegments()
    {
        string? directory = Path.GetDirectoryName(FileName);
        if (directory is null || !Directory.Exists(directory))
        {
            return;
        }

        string prefix = Path.GetFileName(FileName) + ".";
        int lowest = int.MaxValue;
        int highest = -1;
        foreach (string file in Directory.EnumerateFiles(directory, prefix + "*"))
        {
            if (int.TryParse(Path.GetFileName(file).AsSpan(prefix.Length), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int segment))
            {
                lowest = Math.Min(lowest, segment);
                highest = Math.Max(highest, segment);
            }
        }

        if (highest >= 0)
        {
            startSegment = lowest;
            endSegment = highest;
        }
    }

    [LibraryImport("libc", EntryPoint = "fdatasync", SetLastError = true)]
    private static partial int Fdatasync(SafeFileHandle fd);

    private readonly record struct PendingWrite(IntPtr Source, int SegmentId, long Offset, uint Bytes, DeviceIOCompletionCallback Callback, object Context);
}
