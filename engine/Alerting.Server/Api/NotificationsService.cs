using Alerting.Engine.StateMachine;
using Alerting.Notifications;
using Alerting.Protocol.V1;
using Alerting.Server.Notifications;
using Grpc.Core;
using LogOutcome = Alerting.Protocol.Log.DeliveryOutcome;

namespace Alerting.Server.Api;

/// <summary>The notification outbox as the operator sees it (<c>alertctl notifications</c>): pending and failed deliveries per endpoint, and retry.</summary>
public sealed class NotificationsService : Protocol.V1.Notifications.NotificationsBase
{
    /// <summary>Notifications listed per endpoint and kind when the request names no limit.</summary>
    public const int DefaultListLimit = 100;

    /// <summary>Most notifications listed per endpoint and kind.</summary>
    public const int MaxListLimit = 10_000;

    private readonly NotificationService _outbox;

    public NotificationsService(NotificationService outbox)
    {
        _outbox = outbox;
    }

    public override async Task<ListNotificationsResponse> List(ListNotificationsRequest request, ServerCallContext context)
    {
        if (request.Limit is < 0 or > MaxListLimit)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"limit: must be 0 (default {DefaultListLimit}) to {MaxListLimit}, was {request.Limit}"));
        }

        CheckEndpoint(request.Endpoint);
        var limit = request.Limit == 0 ? DefaultListLimit : request.Limit;
        var statuses = await _outbox.ListAsync(request.Endpoint, limit, context.CancellationToken).ConfigureAwait(false);
        var response = new ListNotificationsResponse();
        foreach (var status in statuses)
        {
            var endpoint = new EndpointNotifications
            {
                Endpoint = status.Endpoint,
                SettledBeforeIndex = (ulong)status.Cursor,
                WrittenSettledBeforeIndex = (ulong)status.WrittenCursor,
                Pending = (ulong)status.Outstanding,
                WaitingForRoom = (ulong)status.WaitingForRoom,
                Queued = (ulong)status.Counters.QueueDepth,
                Failed = (ulong)status.FailedCount,
                Delivered = (ulong)status.Counters.Delivered,
                Superseded = (ulong)status.Counters.Superseded,
                Retried = (ulong)status.Counters.Retried,
            };
            endpoint.QueuedNotifications.AddRange(status.Queued.Select(n => Pending(status.Endpoint, n)));
            endpoint.FailedNotifications.AddRange(status.Failed.Select(Failed));
            response.Endpoints.Add(endpoint);
        }

        return response;
    }

    public override async Task<RetryNotificationsResponse> Retry(RetryNotificationsRequest request, ServerCallContext context)
    {
        CheckEndpoint(request.Endpoint);
        var (requeued, missing) = await _outbox.RetryAsync(request.Endpoint, request.MonitorId, request.GroupKey, request.TransitionNumber, context.CancellationToken).ConfigureAwait(false);
        var response = new RetryNotificationsResponse();
        response.Requeued.AddRange(requeued.Select(Failed));
        response.NotInHistory.AddRange(missing.Select(Failed));
        return response;
    }

    private void CheckEndpoint(string endpoint)
    {
        if (endpoint.Length > 0 && !_outbox.Endpoints.Contains(endpoint))
        {
            throw new RpcException(new Status(StatusCode.NotFound,
                $"endpoint: \"{endpoint}\" is not configured (configured: {(_outbox.Endpoints.Count == 0 ? "none" : string.Join(", ", _outbox.Endpoints))})"));
        }
    }

    private static NotificationInfo Pending(string endpoint, Notification notification)
    {
        var info = new NotificationInfo
        {
            Endpoint = endpoint,
            MonitorId = notification.Event.MonitorId,
            GroupKey = notification.Event.GroupKey,
            TransitionNumber = notification.Event.TransitionNumber,
            LogIndex = (ulong)notification.Event.LogIndex,
            State = StateNames.Of(notification.Event.Next),
            Outcome = "pending",
        };
        info.Replaces.AddRange(notification.Replaces.Select(id => id.ToString()));
        return info;
    }

    private static NotificationInfo Failed(DeliveryLedger.FailedDelivery failed) => new()
    {
        Endpoint = failed.Endpoint,
        MonitorId = failed.MonitorId,
        GroupKey = failed.GroupKey,
        TransitionNumber = failed.TransitionNumber,
        LogIndex = (ulong)failed.LogIndex,
        Outcome = failed.Outcome == LogOutcome.Rejected ? "rejected" : "gave_up",
        Attempts = (uint)failed.Attempts,
        StatusCode = failed.StatusCode,
        Detail = failed.Detail,
    };
}
