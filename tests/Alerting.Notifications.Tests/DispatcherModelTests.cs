using Alerting.Engine.State;
using Microsoft.Extensions.Time.Testing;

namespace Alerting.Notifications.Tests;

/// <summary>
/// Random event streams and random receiver answers, checked against what the model demands: per key the receiver
/// never sees an older event after a newer one, every accepted event gets exactly one final report, and the newest
/// event of every key is never superseded.
/// </summary>
public sealed class DispatcherModelTests
{
    private const int Keys = 3;
    private const int Rounds = 4;
    private const int EventsPerRound = 6;

    private static readonly HttpClient Http = new();

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public async Task Random_streams_keep_per_key_order_and_end_every_event_once(int seed)
    {
        var clock = new FakeTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(Events.BaseMs));
        await using var receiver = await Receiver.StartAsync(clock);
        var answers = new Random(seed);
        receiver.Policy = _ =>
        {
            lock (answers)
            {
                var roll = answers.Next(10);
                return new Reply(roll < 6 ? 200 : roll < 9 ? 503 : 400);
            }
        };
        var recorder = new Recorder();
        await using var dispatcher = new NotificationDispatcher(
            [new WebhookEndpoint { Name = "hook", Url = receiver.Url }],
            new DeliveryOptions { MaxAttempts = 50 },
            Http, recorder, clock, new Random(seed), term: 1);
        var events = new Random(seed * 7919);
        var numbers = new ulong[Keys];
        var states = new AlertState[Keys];
        var finals = new Dictionary<string, DeliveryOutcome>();
        var accepted = new HashSet<string>();

        for (var round = 0; round < Rounds; round++)
        {
            for (var i = 0; i < EventsPerRound; i++)
            {
                var key = events.Next(Keys);
                var next = states[key] == AlertState.Ok ? AlertState.Alert : events.Next(2) == 0 ? AlertState.Ok : AlertState.Warn;
                var notification = Events.Make("m1", $"host:{key}", ++numbers[key], states[key], next);
                states[key] = next;
                Assert.Equal(EnqueueResult.Accepted, dispatcher.Enqueue("hook", notification));
                accepted.Add(notification.Id.ToString());
            }

            while (finals.Count < accepted.Count)
            {
                switch (await recorder.NextAnyAsync())
                {
                    case RetryReport retry:
                        clock.Advance(retry.Delay);
                        break;
                    case DeliveryReport report:
                        Assert.True(finals.TryAdd(report.Id.ToString(), report.Outcome), $"two final reports for {report.Id} (seed {seed})");
                        break;
                }
            }
        }

        Assert.Equal(accepted.Order(StringComparer.Ordinal), finals.Keys.Order(StringComparer.Ordinal));
        for (var key = 0; key < Keys; key++)
        {
            var sent = receiver.All
                .Where(r => r.TransitionId.StartsWith($"m1/host:{key}/", StringComparison.Ordinal))
                .Select(r => ulong.Parse(r.TransitionId[(r.TransitionId.LastIndexOf('/') + 1)..], System.Globalization.CultureInfo.InvariantCulture))
                .ToList();
            Assert.True(sent.SequenceEqual(sent.Order()), $"key host:{key} received out of order: {string.Join(',', sent)} (seed {seed})");
            if (numbers[key] > 0)
            {
                Assert.NotEqual(DeliveryOutcome.Superseded, finals[$"m1/host:{key}/{numbers[key]}"]);
            }
        }

        Assert.Empty(dispatcher.Pending());
    }
}
