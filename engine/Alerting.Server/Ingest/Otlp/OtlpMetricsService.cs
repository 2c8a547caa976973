using Alerting.Protocol.OpenTelemetry.Collector.Metrics.V1;
using Alerting.Protocol.V1;
using Google.Protobuf;
using Grpc.Core;

namespace Alerting.Server.Ingest.Otlp;

/// <summary>
/// OTLP metrics, over gRPC (the collector's <c>MetricsService/Export</c>, on the gRPC port) and
/// over HTTP/protobuf (<c>POST /v1/metrics</c>, on the HTTP port). Both answer once the points are
/// durable and applied; points the state machine refused (too old, NaN, over a series limit) come
/// back as OTLP's <c>partial_success.rejected_data_points</c> with the reasons in its message.
/// The key goes in <c>authorization: Bearer</c> (the exporter's <c>headers</c> option).
/// </summary>
public sealed class OtlpMetricsService : MetricsService.MetricsServiceBase
{
    public const string HttpRoute = "/v1/metrics";

    private readonly IngestWriter _writer;
    private readonly CumulativeDeltas _counters;

    public OtlpMetricsService(IngestWriter writer, CumulativeDeltas counters)
    {
        _writer = writer;
        _counters = counters;
    }

    /// <summary>The gRPC call; the key was checked by the interceptor.</summary>
    public override Task<ExportMetricsServiceResponse> Export(ExportMetricsServiceRequest request, ServerCallContext context) => ExportAsync(request, Api.WriteClients.Of(context), context.CancellationToken);

    public static void MapHttp(IEndpointRouteBuilder routes) =>
        routes.MapPost(HttpRoute, (HttpContext http, HttpIngest ingest, OtlpMetricsService service) => HttpIngest.Answer(async () =>
        {
            ingest.Authorize(http, HttpRoute);
            var contentType = http.Request.ContentType ?? "";
            if (!contentType.StartsWith("application/x-protobuf", StringComparison.OrdinalIgnoreCase))
            {
                return Results.Text($"Content-Type \"{contentType}\" is not served: send OTLP as application/x-protobuf", "text/plain", statusCode: StatusCodes.Status415UnsupportedMediaType);
            }

            var body = await ingest.ReadBodyAsync(http.Request, http.RequestAborted).ConfigureAwait(false);
            ExportMetricsServiceRequest request;
            try
            {
                request = ExportMetricsServiceRequest.Parser.ParseFrom(body);
            }
            catch (InvalidProtocolBufferException e)
            {
                throw HttpIngest.Invalid($"the body is not an ExportMetricsServiceRequest: {e.Message}");
            }

            var response = await service.ExportAsync(request, Api.WriteClients.Of(http), http.RequestAborted).ConfigureAwait(false);
            return Results.Bytes(response.ToByteArray(), "application/x-protobuf");
        }));

    internal async Task<ExportMetricsServiceResponse> ExportAsync(ExportMetricsServiceRequest request, string client, CancellationToken cancellationToken)
    {
        var deltas = _counters.Begin();
        var write = OtlpConverter.ToWriteRequest(request, deltas);
        var response = new ExportMetricsServiceResponse();
        if (!HttpIngest.IsEmpty(write))
        {
            var ack = await _writer.WriteAsync(write, client, cancellationToken).ConfigureAwait(false);
            var rejected = ack.Rejected.Sum(r => r.Count);
            if (rejected > 0)
            {
                response.PartialSuccess = new ExportMetricsPartialSuccess
                {
                    RejectedDataPoints = rejected,
                    ErrorMessage = "refused: " + string.Join(", ", ack.Rejected.Select(r => $"{r.Count} {r.Reason}")),
                };
            }
        }

        deltas.Commit();
        return response;
    }
}
