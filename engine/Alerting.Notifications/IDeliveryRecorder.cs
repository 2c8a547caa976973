namespace Alerting.Notifications;

/// <summary>
/// Receives delivery outcomes. The server writes a <c>NotificationDelivered</c> log entry for every final report
/// (delivered, rejected, exhausted or superseded) so that a restarted or new primary resends only the rest.
/// Calls come from dispatcher worker threads (and, for supersession, from the enqueuing thread); they must be quick,
/// thread-safe and must not throw (a throwing recorder stops its key's worker). Reports of one key arrive in the key's order.
/// </summary>
public interface IDeliveryRecorder
{
    void Completed(in DeliveryReport report);

    /// <summary>A retry was scheduled; its timer is already armed when this is called.</summary>
    void RetryScheduled(in RetryReport report);
}
