using Alerting.Engine.State;
using Microsoft.Extensions.Time.Testing;

namespace Alerting.Notifications.Tests;

/// <summary>
/// An event for a key whose worker has just settled its last event, before the worker looked at its queue again
/// (the report of the settled event is made in exactly that gap), is accepted and delivered by that worker.
/// The model test found this under load (seed 5): the enqueue failed an invariant instead.
/// </summary>
public sealed class DispatcherKeyHandOverTests
{
    private static readonly HttpClient Http = new();

    [Fact]
    public async Task An_event_enqueued_while_its_key_reports_its_last_delivery_is_accepted_and_delivered()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(Events.BaseMs));
        await using var receiver = await Receiver.StartAsync(clock);
        receiver.Policy = _ => new Reply(200);
        var second = Events.Make("m1", "host:a", 2, AlertState.Alert, AlertState.Ok);
        var recorder = new HandOverRecorder(second);
        await using var dispatcher = new NotificationDispatcher(
            [new WebhookEndpoint { Name = "hook", Url = receiver.Url }],
            new DeliveryOptions(),
            Http, recorder, clock, new Random(1), term: 1);
        recorder.Dispatcher = dispatcher;

        Assert.Equal(EnqueueResult.Accepted, dispatcher.Enqueue("hook", Events.Make("m1", "host:a", 1, AlertState.Ok, AlertState.Alert)));

        Assert.Equal(EnqueueResult.Accepted, await recorder.HandOver.Task.WaitAsync(Receiver.WaitLimit));
        var secondReport = await recorder.SecondDelivered.Task.WaitAsync(Receiver.WaitLimit);
        Assert.Equal(DeliveryOutcome.Delivered, secondReport.Outcome);
        Assert.Equal(["m1/host:a/1", "m1/host:a/2"], receiver.All.Select(r => r.TransitionId));
        Assert.Empty(dispatcher.Pending());
    }

    /// <summary>Enqueues <c>next</c> from inside the first completion report, on the worker's own thread.</summary>
    private sealed class HandOverRecorder(Notification next) : IDeliveryRecorder
    {
        public NotificationDispatcher? Dispatcher { get; set; }

        public TaskCompletionSource<EnqueueResult> HandOver { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource<DeliveryReport> SecondDelivered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Completed(in DeliveryReport report)
        {
            if (report.Id == next.Id)
            {
                SecondDelivered.TrySetResult(report);
                return;
            }

            try
            {
                HandOver.TrySetResult(Dispatcher!.Enqueue("hook", next));
            }
            catch (Exception e)
            {
                HandOver.TrySetException(e);
            }
        }

        public void RetryScheduled(in RetryReport report)
        {
        }
    }
}
