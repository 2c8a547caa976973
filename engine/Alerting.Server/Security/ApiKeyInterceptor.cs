using Grpc.Core;
using Grpc.Core.Interceptors;

namespace Alerting.Server.Security;

/// <summary>
/// Checks <c>authorization: Bearer &lt;key&gt;</c> on every call (gRPC and JSON transcoding
/// both pass through here): no or unknown key is UNAUTHENTICATED, a key without the method's
/// scope is PERMISSION_DENIED. With no keys configured every call is allowed; the host then
/// only binds loopback (<see cref="ServerOptions.Validate"/>).
/// </summary>
public sealed class ApiKeyInterceptor : Interceptor
{
    private readonly ApiKeyRing _keys;

    public ApiKeyInterceptor(ApiKeyRing keys)
    {
        _keys = keys;
    }

    public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        Authorize(context);
        return continuation(request, context);
    }

    public override Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Authorize(context);
        return continuation(requestStream, context);
    }

    public override Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Authorize(context);
        return continuation(request, responseStream, context);
    }

    public override Task DuplexStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Authorize(context);
        return continuation(requestStream, responseStream, context);
    }

    /// <summary>The scope a method needs: writes of definitions are admin, ingest is ingest, the rest read.</summary>
    internal static ApiScopes RequiredScope(string method)
    {
        var slash = method.LastIndexOf('/');
        var service = method[1..slash];
        var name = method[(slash + 1)..];
        return service switch
        {
            "alerting.v1.Ingest" or "opentelemetry.proto.collector.metrics.v1.MetricsService" => ApiScopes.Ingest,
            "alerting.v1.Notifications" when name == "Retry" => ApiScopes.Admin,
            "alerting.v1.Cluster" when name == "StepDown" => ApiScopes.Admin,
            "alerting.v1.Admin" when name == "SetEngineSettings" => ApiScopes.Admin,
            "alerting.v1.Monitors" or "alerting.v1.Downtimes" when name is not ("Get" or "List" or "Validate" or "Backtest") => ApiScopes.Admin,
            _ => ApiScopes.Read,
        };
    }

    private void Authorize(ServerCallContext context) =>
        _keys.Authorize(ApiKeyRing.BearerKey(context.RequestHeaders.GetValue("authorization")), RequiredScope(context.Method), "\"authorization: Bearer <api key>\" header", context.Method);
}
