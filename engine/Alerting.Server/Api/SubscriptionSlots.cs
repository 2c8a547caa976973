using Alerting.Server.Hosting;

namespace Alerting.Server.Api;

/// <summary>The open <c>Alerts.Subscribe</c> streams (a singleton; services are per call).</summary>
public sealed class SubscriptionSlots(ServerOptions options)
{
    public StreamSlots Slots { get; } = new("subscriptions", options.MaxSubscriptions);
}
