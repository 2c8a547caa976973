using System.Collections.Concurrent;
using System.Threading.Channels;
using Alerting.Notifications;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Alerting.Server.Tests.Notifications;

/// <summary>One POST the receiver got, and the status it answered; a clustered sender names itself and its term.</summary>
internal sealed record Received(string Path, string Body, string TransitionId, int Answered, string Node = "", ulong Term = 0);

/// <summary>A real HTTP receiver on loopback (Kestrel, port chosen by the OS) answering <see cref="Status"/> to every request.</summary>
internal sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Channel<Received> _arrivals = Channel.CreateUnbounded<Received>();
    private readonly ConcurrentQueue<Received> _all = new();
    private volatile int _status = 200;
    private Task _gate = Task.CompletedTask;

    private WebhookReceiver(WebApplication app) => _app = app;

    /// <summary>Base address, ending with '/'.</summary>
    public Uri Url { get; private set; } = null!;

    /// <summary>The status answered from now on.</summary>
    public int Status
    {
        get => _status;
        set => _status = value;
    }

    /// <summary>Every request waits for this before it is answered (the status is chosen on arrival): a slow receiver.</summary>
    public Task Gate
    {
        get => Volatile.Read(ref _gate);
        set => Volatile.Write(ref _gate, value);
    }

    public IReadOnlyList<Received> All => _all.ToArray();

    public static async Task<WebhookReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var receiver = new WebhookReceiver(app);
        app.Run(receiver.HandleAsync);
        await app.StartAsync();
        receiver.Url = new Uri(app.Urls.Single() + "/");
        return receiver;
    }

    /// <summary>The next request, in arrival order.</summary>
    public async Task<Received> NextAsync(CancellationToken cancellation) => await _arrivals.Reader.ReadAsync(cancellation);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task HandleAsync(HttpContext context)
    {
        using var reader = new StreamReader(context.Request.Body);
        var body = await reader.ReadToEndAsync(context.RequestAborted);
        var status = _status;
        var received = new Received(
            context.Request.Path.Value ?? "",
            body,
            context.Request.Headers[NotificationEndpoint.TransitionIdHeader].ToString(),
            status,
            context.Request.Headers[Alerting.Server.Notifications.NotificationService.NodeHeader].ToString(),
            ulong.TryParse(context.Request.Headers[NotificationEndpoint.TermHeader].ToString(), System.Globalization.CultureInfo.InvariantCulture, out var term) ? term : 0);
        _all.Enqueue(received);
        await _arrivals.Writer.WriteAsync(received);
        await Gate.WaitAsync(context.RequestAborted);
        context.Response.StatusCode = status;
    }
}
