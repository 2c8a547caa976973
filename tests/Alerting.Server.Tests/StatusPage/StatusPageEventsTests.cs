using System.Text;
using Alerting.Engine.State;
using Alerting.Engine.StateMachine;
using Alerting.Server.Api;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;
using Cursor = Alerting.Server.Api.StatusPageEvents.Cursor;

namespace Alerting.Server.Tests.StatusPage;

/// <summary>
/// The status page's event stream over a real <see cref="TransitionHistory"/>: a reader behind what
/// the history keeps is told to reload, a reconnect with the last event id neither repeats nor loses
/// an event, and a failure ends the stream with a log line instead of an exception.
/// </summary>
public sealed class StatusPageEventsTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_reader_behind_what_the_history_keeps_is_sent_reload_and_the_stream_ends()
    {
        var history = new TransitionHistory(capacity: 3);
        foreach (var index in new long[] { 10, 20, 30, 40, 50 })
        {
            Append(history, index, 1);
        }

        Assert.Equal(30, history.ForgottenBeforeIndex);
        // Index 30 is the oldest kept and may have lost part of its events: resuming before it, or
        // inside it, could skip some.
        foreach (var behind in new[] { new Cursor(0, 0), new Cursor(29, 0), new Cursor(30, 1) })
        {
            var body = new RecordingStream();
            var log = new ListLogger();
            // No cancellation: the stream must end by itself.
            await StatusPageEvents.Pump(history, Response(body), behind, log, CancellationToken.None);
            var events = Parse(body.Text);
            Assert.Equal("reload", Assert.Single(events).Name);
            Assert.Contains("log index 30", events[0].Data, StringComparison.Ordinal);
            Assert.Empty(log.Entries);
        }

        // From the oldest kept index on everything is exact: the events after it are sent.
        var exact = await ReadUntil(history, new Cursor(30, 0), count: 2);
        Assert.Equal(["40", "50"], exact.Select(e => e.Id));
    }

    [Fact]
    public async Task A_history_with_nothing_dropped_serves_every_reader_from_the_start()
    {
        var history = new TransitionHistory(capacity: 8);
        Append(history, 5, 2);
        var events = await ReadUntil(history, new Cursor(0, 0), count: 2);
        Assert.Equal(["5.1", "5"], events.Select(e => e.Id));
        Assert.All(events, e => Assert.Equal("transition", e.Name));
    }

    [Fact]
    public async Task A_reconnect_with_the_last_event_id_neither_repeats_nor_loses_an_event()
    {
        var seed = Environment.TickCount;
        output.WriteLine($"seed {seed} (replay: set seed = {seed})");
        var random = new Random(seed);
        for (var round = 0; round < 20; round++)
        {
            // Model: every event in append order, each named by (log index, group).
            var history = new TransitionHistory(capacity: 10_000);
            var model = new List<string>();
            var index = 0L;
            for (var entry = random.Next(1, 12); entry > 0; entry--)
            {
                index += random.Next(1, 4);
                var count = random.Next(1, 5);
                Append(history, index, count);
                for (var g = 0; g < count; g++)
                {
                    model.Add($"{index}/g{g}");
                }
            }

            var full = await ReadUntil(history, new Cursor(0, 0), model.Count);
            Assert.Equal(model, full.Select(Name));

            // The connection breaks after any event: the browser took the first `cut` and resumes
            // with the id of the last one it took.
            var cut = random.Next(1, model.Count);
            var lastId = full[cut - 1].Id;
            Assert.NotNull(lastId);
            var cursor = Cursor.Parse(lastId);
            Assert.NotNull(cursor);
            var rest = await ReadUntil(history, cursor.Value, model.Count - cut);
            Assert.Equal(model, full.Take(cut).Concat(rest).Select(Name));
        }
    }

    [Fact]
    public void Event_ids_parse_back_and_anything_else_is_refused()
    {
        Assert.Equal(new Cursor(42, 0), Cursor.Parse("42"));
        Assert.Equal(new Cursor(42, 3), Cursor.Parse("42.3"));
        foreach (var bad in new[] { "", "-1", "42.", "42.0", "42.-1", "x", "42.3.1", "0.1" })
        {
            Assert.Null(Cursor.Parse(bad));
        }
    }

    [Fact]
    public async Task A_failing_write_ends_the_stream_with_a_logged_warning_and_throws_nothing()
    {
        var history = new TransitionHistory(capacity: 8);
        Append(history, 7, 1);
        var body = new RecordingStream { FailWrites = true };
        var log = new ListLogger();

        await StatusPageEvents.Pump(history, Response(body), new Cursor(0, 0), log, CancellationToken.None);

        var entry = Assert.Single(log.Entries);
        Assert.Equal(LogLevel.Warning, entry.Level);
        Assert.IsType<IOException>(entry.Exception);
    }

    [Fact]
    public async Task A_browser_leaving_ends_the_stream_without_a_warning()
    {
        var history = new TransitionHistory(capacity: 8);
        var body = new RecordingStream();
        var log = new ListLogger();
        using var leave = new CancellationTokenSource();
        var pump = StatusPageEvents.Pump(history, Response(body), new Cursor(0, 0), log, leave.Token);
        Assert.False(pump.IsCompleted, "with no events the stream waits for more");

        await leave.CancelAsync();
        await pump;

        Assert.Empty(log.Entries);
        Assert.Equal("", body.Text);
    }

    private static async Task<List<SentEvent>> ReadUntil(TransitionHistory history, Cursor from, int count)
    {
        var body = new RecordingStream();
        var log = new ListLogger();
        if (count > 0)
        {
            body.Until = text => Parse(text).Count >= count;
        }

        using var stop = new CancellationTokenSource(TestServer.Patience);
        var pump = StatusPageEvents.Pump(history, Response(body), from, log, stop.Token);
        if (count > 0)
        {
            await body.Reached.Task.WaitAsync(stop.Token);
        }

        await stop.CancelAsync();
        await pump;
        Assert.Empty(log.Entries);
        var events = Parse(body.Text);
        Assert.Equal(count, events.Count);
        return events;
    }

    private static string Name(SentEvent e)
    {
        var index = System.Text.Json.JsonDocument.Parse(e.Data).RootElement;
        return $"{index.GetProperty("logIndex").GetInt64()}/{index.GetProperty("groupKey").GetString()}";
    }

    private static void Append(TransitionHistory history, long index, int count)
    {
        var events = new List<TransitionEvent>();
        var messages = new List<string>();
        for (var g = 0; g < count; g++)
        {
            events.Add(new TransitionEvent("m", $"g{g}", (ulong)index, AlertState.Ok, AlertState.Alert, 1, 1, 0, index, TransitionReason.ThresholdCrossed, GroupFlags.None, true, false));
            messages.Add("message");
        }

        history.Append(events, messages, term: 1);
    }

    private static HttpResponse Response(Stream body)
    {
        var context = new DefaultHttpContext();
        context.Response.Body = body;
        return context.Response;
    }

    internal sealed record SentEvent(string? Id, string Name, string Data);

    /// <summary>Server-sent events as a browser splits them: blank-line separated blocks of <c>field: value</c> lines.</summary>
    internal static List<SentEvent> Parse(string text)
    {
        var events = new List<SentEvent>();
        foreach (var block in text.Split("\n\n", StringSplitOptions.RemoveEmptyEntries))
        {
            string? id = null;
            var name = "message";
            var data = "";
            foreach (var line in block.Split('\n'))
            {
                var colon = line.IndexOf(": ", StringComparison.Ordinal);
                var (field, value) = (line[..colon], line[(colon + 2)..]);
                switch (field)
                {
                    case "id": id = value; break;
                    case "event": name = value; break;
                    case "data": data = value; break;
                    default: throw new FormatException($"unexpected field {field}");
                }
            }

            events.Add(new SentEvent(id, name, data));
        }

        return events;
    }

    /// <summary>A response body that keeps what was written and signals when it satisfies <see cref="Until"/>.</summary>
    private sealed class RecordingStream : Stream
    {
        private readonly MemoryStream _written = new();

        public bool FailWrites { get; init; }

        public Func<string, bool>? Until { get; set; }

        public TaskCompletionSource Reached { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public string Text
        {
            get
            {
                lock (_written)
                {
                    return Encoding.UTF8.GetString(_written.ToArray());
                }
            }
        }

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush()
        {
        }

        public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            if (FailWrites)
            {
                throw new IOException("the connection was reset");
            }

            lock (_written)
            {
                _written.Write(buffer);
            }

            if (Until is { } until && until(Text))
            {
                Reached.TrySetResult();
            }
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Write(buffer.Span);
            return ValueTask.CompletedTask;
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        {
            Write(buffer.AsSpan(offset, count));
            return Task.CompletedTask;
        }
    }

    private sealed class ListLogger : ILogger
    {
        private readonly List<(LogLevel Level, Exception? Exception, string Message)> _entries = [];

        public IReadOnlyList<(LogLevel Level, Exception? Exception, string Message)> Entries
        {
            get
            {
                lock (_entries)
                {
                    return [.. _entries];
                }
            }
        }

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (_entries)
            {
                _entries.Add((logLevel, exception, formatter(state, exception)));
            }
        }
    }
}
