using System.Net.Sockets;
using Alerting.Cli.Arguments;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;

namespace Alerting.Cli;

/// <summary>A gRPC channel to one server, with the API key attached to every call as <c>authorization: Bearer</c>.</summary>
internal sealed class ServerConnection : IDisposable
{
    private readonly GrpcChannel _channel;

    private ServerConnection(GrpcChannel channel, CallInvoker invoker, string address)
    {
        _channel = channel;
        Invoker = invoker;
        Address = address;
    }

    public CallInvoker Invoker { get; }

    public string Address { get; }

    /// <exception cref="UsageException">The address is not an absolute http or https URL.</exception>
    public static ServerConnection Open(string address, string? apiKey)
    {
        if (!Uri.TryCreate(address, UriKind.Absolute, out Uri? uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            throw new UsageException($"--server must be an http:// or https:// URL; got '{address}'");
        }

        var channel = GrpcChannel.ForAddress(uri);
        CallInvoker invoker = apiKey is null
            ? channel.CreateCallInvoker()
            : channel.Intercept(headers =>
            {
                headers.Add("authorization", $"Bearer {apiKey}");
                return headers;
            });
        return new ServerConnection(channel, invoker, address);
    }

    /// <summary>True when the call failed because no connection could be made, rather than because the server said no.</summary>
    public static bool IsConnectFailure(RpcException e)
    {
        ArgumentNullException.ThrowIfNull(e);
        if (e.StatusCode != StatusCode.Unavailable)
        {
            return false;
        }

        for (Exception? inner = e.Status.DebugException; inner is not null; inner = inner.InnerException)
        {
            if (inner is HttpRequestException or SocketException)
            {
                return true;
            }
        }

        return false;
    }

    public void Dispose() => _channel.Dispose();
}
