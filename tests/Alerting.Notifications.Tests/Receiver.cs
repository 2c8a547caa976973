using System.Collections.Concurrent;
using System.Globalization;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Alerting.Notifications.Tests;

/// <summary>What the receiver answers to one request; <paramref name="Gate"/> holds the answer until it completes.</summary>
internal sealed record Reply(int Status, int? RetryAfterSeconds = null, Task? Gate = null, string Body = "");

/// <summary>One request the receiver got, with the test clock's time when it arrived.</summary>
internal sealed record Received(string Path, string Body, string TransitionId, string Term, IReadOnlyDictionary<string, string> Headers, DateTimeOffset ClockTime)
{
    /// <summary>The request target as sent (path and query, percent-encoding kept).</summary>
    public string RawTarget { get; init; } = "";
}

/// <summary>A real HTTP receiver on loopback (Kestrel, port chosen by the OS) whose answers the test scripts.</summary>
internal sealed class Receiver : IAsyncDisposable
{
    public static readonly TimeSpan WaitLimit = TimeSpan.FromSeconds(10);

    private readonly WebApplication _app;
    private readonly TimeProvider _clock;
    private readonly ConcurrentQueue<Reply> _script = new();
    private readonly Channel<Received> _arrivals = Channel.CreateUnbounded<Received>();
    private readonly Channel<string> _aborted = Channel.CreateUnbounded<string>();
    private readonly ConcurrentQueue<Received> _all = new();

    private Receiver(WebApplication app, TimeProvider clock)
    {
        _app = app;
        _clock = clock;
    }

    public Uri Url { get; private set; } = null!;

    /// <summary>When set, decides the answer per request (for tests with several keys in flight); otherwise the FIFO script, then 200.</summary>
    public Func<Received, Reply>? Policy { get; set; }

    public IReadOnlyList<Received> All => _all.ToArray();

    public static async Task<Receiver> StartAsync(TimeProvider clock)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var receiver = new Receiver(app, clock);
        app.Run(receiver.HandleAsync);
        await app.StartAsync();
        receiver.Url = new Uri(app.Urls.Single() + "/");
        return receiver;
    }

    public void Script(params Reply[] replies)
    {
        foreach (var reply in replies)
        {
            _script.Enqueue(reply);
        }
    }

    public Task<Received> NextAsync() => _arrivals.Reader.ReadAsync().AsTask().WaitAsync(WaitLimit);

    public Task<string> NextAbortedAsync() => _aborted.Reader.ReadAsync().AsTask().WaitAsync(WaitLimit);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task HandleAsync(HttpContext context)
    {
        using var reader = new StreamReader(context.Request.Body);
        var body = await reader.ReadToEndAsync(context.RequestAborted);
        var headers = context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        var received = new Received(
            context.Request.Path.Value ?? "",
            body,
            headers.GetValueOrDefault(NotificationEndpoint.TransitionIdHeader, ""),
            headers.GetValueOrDefault(NotificationEndpoint.TermHeader, ""),
            headers,
            _clock.GetUtcNow())
        {
            RawTarget = context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpRequestFeature>()?.RawTarget ?? "",
        };
        var reply = Policy?.Invoke(received) ?? (_script.TryDequeue(out var next) ? next : new Reply(200));
        _all.Enqueue(received);
        await _arrivals.Writer.WriteAsync(received);
        if (reply.Gate is not null)
        {
            try
            {
                await reply.Gate.WaitAsync(context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                await _aborted.Writer.WriteAsync(received.TransitionId);
                return;
            }
        }

        context.Response.StatusCode = reply.Status;
        if (reply.RetryAfterSeconds is { } seconds)
        {
            context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        }

        await context.Response.WriteAsync(reply.Body);
    }
}
