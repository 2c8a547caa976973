using Grpc.Core;
using Microsoft.AspNetCore.Http;

namespace Alerting.Server.Api;

/// <summary>
/// Who a write comes from, for write admission's turns (<see cref="Engine.Pipeline.WriteAdmission"/>):
/// the connection it arrived on, so every stream and call of one connection shares one lane and one
/// client with many streams gets one turn per round, not one per stream.
/// </summary>
public static class WriteClients
{
    /// <summary>DogStatsD's flushes: one lane for the server's own aggregator.</summary>
    public const string DogStatsd = "dogstatsd";

    /// <summary>The connection of a gRPC call (or of its JSON transcoding); its peer when no connection is known.</summary>
    public static string Of(ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        try
        {
            return "conn:" + context.GetHttpContext().Connection.Id;
        }
        catch (InvalidOperationException)
        {
            return "peer:" + context.Peer;
        }
    }

    /// <summary>The connection of an HTTP request.</summary>
    public static string Of(HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        return "conn:" + http.Connection.Id;
    }
}
