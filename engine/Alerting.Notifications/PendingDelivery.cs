namespace Alerting.Notifications;

/// <summary>An undelivered notification for one endpoint: what <see cref="NotificationDispatcher.Pending"/> lists and <see cref="NotificationDispatcher.Resume"/> takes.</summary>
public sealed record PendingDelivery(string Endpoint, Notification Notification);
