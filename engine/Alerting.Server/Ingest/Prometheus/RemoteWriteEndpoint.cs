using Google.Protobuf;
using Prom = Alerting.Protocol.Prometheus;

namespace Alerting.Server.Ingest.Prometheus;

/// <summary>
/// <c>POST /api/v1/write</c>: Prometheus remote_write 1.0 (snappy block-compressed protobuf).
/// Answers 204 once the samples are durable and applied; 400 for a body Prometheus should drop;
/// 429 (ring full) or 503 (not primary, stopping, faulted; refused admission, with <c>Retry-After</c>:
/// Prometheus retries 429 only with <c>retry_on_http_429</c>, 503 always) for one it should retry. The key goes in
/// <c>authorization: Bearer</c> (remote_write's <c>authorization</c> block).
/// </summary>
public static class RemoteWriteEndpoint
{
    public const string Route = "/api/v1/write";

    public static void Map(IEndpointRouteBuilder routes) =>
        routes.MapPost(Route, (HttpContext http, HttpIngest ingest, CumulativeDeltas counters) => HttpIngest.Answer(() => Handle(http, ingest, counters), StatusCodes.Status503ServiceUnavailable));

    private static async Task<IResult> Handle(HttpContext http, HttpIngest ingest, CumulativeDeltas counters)
    {
        ingest.Authorize(http, Route);
        var body = await ingest.ReadBodyAsync(http.Request, http.RequestAborted).ConfigureAwait(false);
        Prom.WriteRequest request;
        try
        {
            request = Prom.WriteRequest.Parser.ParseFrom(body);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw HttpIngest.Invalid($"the body is not a prometheus.WriteRequest: {e.Message}");
        }

        var deltas = counters.Begin();
        var write = RemoteWriteConverter.ToWriteRequest(request, deltas);
        if (!HttpIngest.IsEmpty(write))
        {
            await ingest.Writer.WriteAsync(write, Api.WriteClients.Of(http), http.RequestAborted).ConfigureAwait(false);
        }

        deltas.Commit();
        return Results.NoContent();
    }
}
