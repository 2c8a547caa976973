using System.Text.Json;

namespace Alerting.Server.Ingest.Datadog;

/// <summary>
/// <c>POST /api/v2/series</c> and <c>/api/v1/series</c>: Datadog's metric intake, so a Datadog
/// Agent (<c>dd_url</c>) or a script written for Datadog can point here. The key goes in
/// <c>DD-API-KEY</c> (or <c>authorization: Bearer</c>) and must have the ingest scope. Bodies may be
/// gzip or deflate. Answers 202 <c>{"errors":[]}</c>, as Datadog does, once the points are durable
/// and applied; errors are the statuses of <see cref="HttpIngest"/>.
/// </summary>
public static class DatadogSeriesEndpoint
{
    public const string V2Route = "/api/v2/series";
    public const string V1Route = "/api/v1/series";
    public const string ApiKeyHeader = "DD-API-KEY";

    public static void Map(IEndpointRouteBuilder routes)
    {
        routes.MapPost(V2Route, (HttpContext http, HttpIngest ingest) => HttpIngest.Answer(() => Handle(http, ingest, V2Route, DatadogSeriesConverter.FromV2)));
        routes.MapPost(V1Route, (HttpContext http, HttpIngest ingest) => HttpIngest.Answer(() => Handle(http, ingest, V1Route, DatadogSeriesConverter.FromV1)));
    }

    private static async Task<IResult> Handle(HttpContext http, HttpIngest ingest, string route, Func<JsonElement, Protocol.V1.WriteRequest> convert)
    {
        ingest.Authorize(http, route, ApiKeyHeader);
        var contentType = http.Request.ContentType ?? "application/json";
        if (!contentType.StartsWith("application/json", StringComparison.OrdinalIgnoreCase) && !contentType.StartsWith("text/json", StringComparison.OrdinalIgnoreCase))
        {
            // The Agent's default v2 payload is protobuf: say what to change rather than fail to parse it.
            return Results.Text($"Content-Type \"{contentType}\" is not served: send JSON (for the Datadog Agent, set use_v2_api.series: false)", "text/plain", statusCode: StatusCodes.Status415UnsupportedMediaType);
        }

        var body = await ingest.ReadBodyAsync(http.Request, http.RequestAborted).ConfigureAwait(false);
        Protocol.V1.WriteRequest write;
        try
        {
            using var json = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 16 });
            write = convert(json.RootElement);
        }
        catch (JsonException e)
        {
            throw HttpIngest.Invalid($"the body is not JSON: {e.Message}");
        }

        if (!HttpIngest.IsEmpty(write))
        {
            await ingest.Writer.WriteAsync(write, Api.WriteClients.Of(http), http.RequestAborted).ConfigureAwait(false);
        }

        return Results.Json(new { errors = Array.Empty<string>() }, statusCode: StatusCodes.Status202Accepted);
    }
}
