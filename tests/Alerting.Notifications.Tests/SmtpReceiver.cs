using System.Diagnostics;
using System.Threading.Channels;
using MimeKit;

namespace Alerting.Notifications.Tests;

/// <summary>
/// A real SMTP server for one test: smtp-receiver.py on aiosmtpd (Debian package python3-aiosmtpd) on a free
/// loopback port. Each accepted message is written to a temp folder and announced on stdout; the test awaits
/// those lines (never a sleep) and parses the file with MimeKit.
/// </summary>
internal sealed class SmtpReceiver : IAsyncDisposable
{
    public const string Python = "/usr/bin/python3";

    private static readonly TimeSpan WaitLimit = TimeSpan.FromSeconds(15);

    private readonly Process _process;
    private readonly string _directory;
    private readonly Channel<string> _lines;

    private SmtpReceiver(Process process, string directory, Channel<string> lines, int port)
    {
        _process = process;
        _directory = directory;
        _lines = lines;
        Port = port;
    }

    public int Port { get; }

    /// <summary>Why the receiver cannot run here, or null when it can (python3 with aiosmtpd).</summary>
    public static string? Unavailable { get; } = Probe();

    /// <param name="credentials"><c>user:password</c> to require AUTH, or null.</param>
    public static async Task<SmtpReceiver> StartAsync(string? credentials = null)
    {
        var directory = Directory.CreateTempSubdirectory("alerting-smtp-").FullName;
        var start = new ProcessStartInfo(Python)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "smtp-receiver.py"));
        start.ArgumentList.Add(directory);
        if (credentials is not null)
        {
            start.ArgumentList.Add(credentials);
        }

        var lines = Channel.CreateUnbounded<string>();
        var errors = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lines.Writer.TryWrite(e.Data);
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                errors.Enqueue(e.Data);
            }
        };
        process.Exited += (_, _) => lines.Writer.TryComplete(new InvalidOperationException("smtp-receiver.py exited: " + string.Join('\n', errors)));
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            var first = await lines.Reader.ReadAsync().AsTask().WaitAsync(WaitLimit);
            Assert.StartsWith("LISTENING ", first, StringComparison.Ordinal);
            return new SmtpReceiver(process, directory, lines, int.Parse(first["LISTENING ".Length..], System.Globalization.CultureInfo.InvariantCulture));
        }
        catch
        {
            process.Kill(entireProcessTree: true);
            process.Dispose();
            throw;
        }
    }

    /// <summary>The next message the server accepted, with its envelope recipients.</summary>
    public async Task<(MimeMessage Message, string[] Recipients)> NextMessageAsync()
    {
        var line = await NextLineAsync("MESSAGE ");
        var parts = line.Split(' ');
        return (await MimeMessage.LoadAsync(parts[1]), parts[2].Split(','));
    }

    /// <summary>The Message-ID of the next message the server answered 451.</summary>
    public async Task<string> NextTempFailAsync() => (await NextLineAsync("TEMPFAIL "))["TEMPFAIL ".Length..];

    /// <summary>Messages accepted so far (files written).</summary>
    public int AcceptedCount => Directory.GetFiles(_directory, "*.eml").Length;

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    private async Task<string> NextLineAsync(string prefix)
    {
        var line = await _lines.Reader.ReadAsync().AsTask().WaitAsync(WaitLimit);
        Assert.StartsWith(prefix, line, StringComparison.Ordinal);
        return line;
    }

    private static string? Probe()
    {
        if (!File.Exists(Python))
        {
            return $"{Python} is not installed";
        }

        using var probe = Process.Start(new ProcessStartInfo(Python, ["-c", "import aiosmtpd"]) { RedirectStandardError = true, UseShellExecute = false })!;
        probe.StandardError.ReadToEnd();
        probe.WaitForExit();
        return probe.ExitCode == 0 ? null : $"{Python} cannot import aiosmtpd (Debian package python3-aiosmtpd)";
    }
}

/// <summary>A test against the real SMTP server; reported skipped, with the reason, where aiosmtpd is not installed.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class SmtpFactAttribute : FactAttribute
{
    public SmtpFactAttribute()
    {
        if (SmtpReceiver.Unavailable is { } reason)
        {
            Skip = reason + "; .ci/run installs it (tests/Alerting.Notifications.Tests/install-alertmanager.sh)";
        }
    }
}
