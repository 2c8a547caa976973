using System.Net.Sockets;
using Alerting.Engine;
using Alerting.Engine.Journal;

namespace Alerting.Server.Hosting;

/// <summary>
/// The server's exit codes when it refuses to start, and the one line it prints for each
/// (README "Configuration" and docs/reliability.md list them):
/// 1 anything unexpected, 2 bad options, 3 the data folder is refused (damaged, incomplete,
/// unreadable), 4 a port is already in use.
/// </summary>
public static class StartupFailure
{
    public const int Unexpected = 1;
    public const int BadOptions = 2;
    public const int DataFolderRefused = 3;
    public const int PortInUse = 4;

    /// <summary>The exit code and the line (without the "cannot start:" prefix) for a failure of <see cref="ServerHost.StartAsync(ServerOptions, CancellationToken)"/>.</summary>
    public static (int Code, string Line) Classify(Exception failure, string dataDirectory)
    {
        ArgumentNullException.ThrowIfNull(failure);
        var folder = Path.GetFullPath(dataDirectory);
        if (Find<ServerOptionsException>(failure) is { } options)
        {
            return (BadOptions, $"bad options: {options.Message}");
        }

        if (IsAddressInUse(failure))
        {
            return (PortInUse, $"a port is already in use: {Describe(failure)}; stop the other process or choose other ports (--grpc-port, --http-port)");
        }

        if (Find<JournalRecoveryException>(failure) is { } recovery)
        {
            return (DataFolderRefused, $"data folder {folder} refused: {recovery.Message}");
        }

        if (Find<JournalCorruptionException>(failure) is { } corruption)
        {
            return (DataFolderRefused, $"data folder {folder} refused: the journal in {Path.Combine(folder, "journal")} is corrupt: {corruption.Message}, or start with --force-empty to discard the data");
        }

        if (Find<InvariantViolationException>(failure) is { } invariant)
        {
            return (DataFolderRefused, $"data folder {folder} refused: recovery found an inconsistency: {invariant.Message}; restore the folder from a backup or a healthy peer");
        }

        if (Find<IOException>(failure) is { } io)
        {
            return (DataFolderRefused, $"data folder {folder} unusable: {io.Message}; check its permissions and free space");
        }

        if (Find<UnauthorizedAccessException>(failure) is { } denied)
        {
            return (DataFolderRefused, $"data folder {folder} unusable: {denied.Message}; check its permissions");
        }

        return (Unexpected, $"unexpected {failure.GetType().Name}: {Describe(failure)}");
    }

    /// <summary>The message of <paramref name="failure"/> and its causes on one line.</summary>
    public static string Describe(Exception failure)
    {
        ArgumentNullException.ThrowIfNull(failure);
        var parts = new List<string>();
        for (Exception? e = failure; e is not null; e = e.InnerException)
        {
            var message = e.Message.ReplaceLineEndings(" ");
            if (!parts.Exists(p => p.Contains(message, StringComparison.Ordinal)))
            {
                parts.Add(message);
            }
        }

        return string.Join(": ", parts);
    }

    private static T? Find<T>(Exception failure)
        where T : Exception
    {
        for (Exception? e = failure; e is not null; e = e.InnerException)
        {
            if (e is T match)
            {
                return match;
            }

            if (e is AggregateException { InnerExceptions.Count: 1 } aggregate)
            {
                return Find<T>(aggregate.InnerExceptions[0]);
            }
        }

        return null;
    }

    private static bool IsAddressInUse(Exception failure)
    {
        for (Exception? e = failure; e is not null; e = e.InnerException)
        {
            if (e is Microsoft.AspNetCore.Connections.AddressInUseException || e is SocketException { SocketErrorCode: SocketError.AddressAlreadyInUse })
            {
                return true;
            }
        }

        return false;
    }
}
