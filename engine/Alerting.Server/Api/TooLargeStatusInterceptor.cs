using Grpc.Core;
using Grpc.Core.Interceptors;

namespace Alerting.Server.Api;

/// <summary>
/// Gives a JSON API call whose entry is larger than the journal takes the HTTP status 413
/// (Content Too Large). JSON transcoding maps every RESOURCE_EXHAUSTED to 429, which tells a
/// client to retry later; for an entry over the limit a retry can never succeed, while a full
/// ring (also RESOURCE_EXHAUSTED) stays 429. gRPC calls are unchanged: their HTTP status is always 200.
/// </summary>
public sealed class TooLargeStatusInterceptor : Interceptor
{
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        try
        {
            return await continuation(request, context).ConfigureAwait(false);
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.ResourceExhausted && e.Trailers.Get(EngineCalls.TooLargeTrailer) is not null)
        {
            // Transcoding sets 429 when it writes the error; this runs after, just before the headers go out.
            var response = context.GetHttpContext().Response;
            response.OnStarting(() =>
            {
                if (response.StatusCode == StatusCodes.Status429TooManyRequests)
                {
                    response.StatusCode = StatusCodes.Status413PayloadTooLarge;
                }

                return Task.CompletedTask;
            });
            throw;
        }
    }
}
