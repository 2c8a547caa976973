using System.Net.Sockets;
using Grpc.Core;

namespace Alerting.Client;

/// <summary>What a writer does after a failed attempt.</summary>
public enum RetryAction
{
    /// <summary>Give up and throw: retrying cannot help (invalid input, too large, not allowed).</summary>
    Fail,

    /// <summary>Back off and retry on the same node (its input ring was full).</summary>
    SameNode,

    /// <summary>Back off and retry on the next node of the list (not the primary, down, or the connection broke).</summary>
    NextNode,

    /// <summary>Retry on the node the refusal named in its <see cref="WriteRetry.PrimaryTrailer"/> trailer.</summary>
    Redirect,
}

/// <summary>
/// Which write failures are worth a retry, from the server's answers (README "Writing from code",
/// docs/clients.md): UNAVAILABLE (a standby or witness, a node stopping or faulted, no connection)
/// moves to another node, following the primary's address when the refusal gives one;
/// RESOURCE_EXHAUSTED for a full ring retries the same node; INVALID_ARGUMENT and
/// RESOURCE_EXHAUSTED "too large" never retry.
/// </summary>
public static class WriteRetry
{
    /// <summary>Trailer of a write refused by a node that is not the primary: the primary's gRPC address (the server's <c>EngineCalls.PrimaryTrailer</c>).</summary>
    public const string PrimaryTrailer = "alerting-primary";

    /// <summary>Trailer of a write refused because its entry exceeds the journal's limit (the server's <c>EngineCalls.TooLargeTrailer</c>).</summary>
    public const string TooLargeTrailer = "alerting-entry-limit-bytes";

    /// <summary>Classifies a failed write; for <see cref="RetryAction.Redirect"/>, <paramref name="primary"/> is the address to go to.</summary>
    public static RetryAction Classify(RpcException failure, out Uri? primary)
    {
        ArgumentNullException.ThrowIfNull(failure);
        primary = null;
        switch (failure.StatusCode)
        {
            case StatusCode.Unavailable:
                var named = failure.Trailers.GetValue(PrimaryTrailer);
                if (named is not null && Uri.TryCreate(named, UriKind.Absolute, out var address) && (address.Scheme == Uri.UriSchemeHttp || address.Scheme == Uri.UriSchemeHttps))
                {
                    primary = address;
                    return RetryAction.Redirect;
                }

                return RetryAction.NextNode;
            case StatusCode.ResourceExhausted:
                return failure.Trailers.GetValue(TooLargeTrailer) is null ? RetryAction.SameNode : RetryAction.Fail;
            case StatusCode.Internal or StatusCode.Unknown when IsBrokenConnection(failure):
                return RetryAction.NextNode;
            default:
                return RetryAction.Fail;
        }
    }

    /// <summary>A call that failed because the connection broke (reset, closed mid-call), not because the server answered.</summary>
    private static bool IsBrokenConnection(RpcException failure)
    {
        for (Exception? inner = failure.Status.DebugException; inner is not null; inner = inner.InnerException)
        {
            if (inner is IOException or HttpRequestException or SocketException)
            {
                return true;
            }
        }

        return false;
    }
}
