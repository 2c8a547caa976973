using Alerting.Client;
using Grpc.Core;

namespace Alerting.Server.Tests.Client;

public sealed class WriteRetryTests
{
    [Fact]
    public void Unavailable_with_the_primary_trailer_redirects_there_and_without_it_moves_on()
    {
        var named = new RpcException(new Status(StatusCode.Unavailable, "standby"), new Metadata { { WriteRetry.PrimaryTrailer, "http://127.0.0.1:7710" } });
        var anonymous = new RpcException(new Status(StatusCode.Unavailable, "standby"));
        var garbage = new RpcException(new Status(StatusCode.Unavailable, "standby"), new Metadata { { WriteRetry.PrimaryTrailer, "not a url" } });

        Assert.Equal(RetryAction.Redirect, WriteRetry.Classify(named, out var primary));
        Assert.Equal(new Uri("http://127.0.0.1:7710"), primary);
        Assert.Equal(RetryAction.NextNode, WriteRetry.Classify(anonymous, out _));
        Assert.Equal(RetryAction.NextNode, WriteRetry.Classify(garbage, out _));
    }

    [Fact]
    public void A_full_ring_retries_the_same_node_and_too_large_or_invalid_never_retries()
    {
        var ringFull = new RpcException(new Status(StatusCode.ResourceExhausted, "ring full"));
        var tooLarge = new RpcException(new Status(StatusCode.ResourceExhausted, "too large"), new Metadata { { WriteRetry.TooLargeTrailer, "1048576" } });
        var invalid = new RpcException(new Status(StatusCode.InvalidArgument, "points[0].tags[0]"));
        var denied = new RpcException(new Status(StatusCode.PermissionDenied, "scope"));

        Assert.Equal(RetryAction.SameNode, WriteRetry.Classify(ringFull, out _));
        Assert.Equal(RetryAction.Fail, WriteRetry.Classify(tooLarge, out _));
        Assert.Equal(RetryAction.Fail, WriteRetry.Classify(invalid, out _));
        Assert.Equal(RetryAction.Fail, WriteRetry.Classify(denied, out _));
    }

    [Fact]
    public void A_call_broken_by_the_connection_moves_to_the_next_node_but_an_internal_error_does_not()
    {
        var broken = new RpcException(new Status(StatusCode.Internal, "stream reset", new IOException("connection reset")));
        var bug = new RpcException(new Status(StatusCode.Internal, "server bug"));

        Assert.Equal(RetryAction.NextNode, WriteRetry.Classify(broken, out _));
        Assert.Equal(RetryAction.Fail, WriteRetry.Classify(bug, out _));
    }

    [Fact]
    public void Backoff_doubles_up_to_its_cap_stays_between_half_and_the_cap_and_replays_from_its_seed()
    {
        var seed = 2026;
        var backoff = new Backoff(TimeSpan.FromMilliseconds(10), TimeSpan.FromMilliseconds(300), new Random(seed));
        var replay = new Backoff(TimeSpan.FromMilliseconds(10), TimeSpan.FromMilliseconds(300), new Random(seed));

        Assert.Equal(
            [10, 20, 40, 80, 160, 300, 300],
            Enumerable.Range(0, 7).Select(n => backoff.Cap(n).TotalMilliseconds));
        Assert.Equal(TimeSpan.FromMilliseconds(300), backoff.Cap(200));
        for (var retry = 0; retry < 40; retry++)
        {
            var delay = backoff.Delay(retry);
            Assert.InRange(delay, backoff.Cap(retry) / 2, backoff.Cap(retry));
            Assert.Equal(delay, replay.Delay(retry));
        }
    }
}
