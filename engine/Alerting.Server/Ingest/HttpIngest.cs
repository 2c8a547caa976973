using System.IO.Compression;
using Alerting.Protocol.V1;
using Alerting.Server.Api;
using Alerting.Server.Hosting;
using Alerting.Server.Security;
using Grpc.Core;

namespace Alerting.Server.Ingest;

/// <summary>
/// What the HTTP ingestion routes (Prometheus remote_write, OTLP/HTTP, Datadog series) share:
/// the API key check, reading a compressed body under a bound, and the HTTP status each write
/// error becomes. The statuses follow what those clients do with them: 400/401/403/413 are
/// dropped by Prometheus and the OTel exporters (retrying cannot help), 429 and 503 are retried.
/// </summary>
public sealed class HttpIngest
{
    private readonly ApiKeyRing _keys;

    public HttpIngest(IngestWriter writer, ApiKeyRing keys, ServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Writer = writer;
        _keys = keys;
        MaxDecodedBodyBytes = (long)options.MaxMessageBytes * ServerHost.JsonBodyExpansion;
    }

    public IngestWriter Writer { get; }

    /// <summary>
    /// Largest body after decompression: the same bound Kestrel puts on the bytes received, so
    /// a small compressed body cannot expand into an unbounded allocation.
    /// </summary>
    public long MaxDecodedBodyBytes { get; }

    /// <summary>Checks the ingest scope with the key from <c>authorization: Bearer</c> or, when given, <paramref name="otherHeader"/>.</summary>
    public void Authorize(HttpContext http, string route, string? otherHeader = null)
    {
        ArgumentNullException.ThrowIfNull(http);
        var key = otherHeader is not null && http.Request.Headers.TryGetValue(otherHeader, out var other) && other.Count > 0
            ? other[0]
            : ApiKeyRing.BearerKey(http.Request.Headers.Authorization.Count > 0 ? http.Request.Headers.Authorization[0] : null);
        var how = otherHeader is null ? "\"authorization: Bearer <api key>\" header" : $"\"{otherHeader}: <api key>\" or \"authorization: Bearer <api key>\" header";
        _keys.Authorize(key, ApiScopes.Ingest, how, route);
    }

    /// <summary>
    /// Reads the body, undoing <c>Content-Encoding</c> (gzip, deflate, snappy's block format as
    /// Prometheus sends it, or none) under <see cref="MaxDecodedBodyBytes"/>.
    /// </summary>
    /// <exception cref="RpcException">INVALID_ARGUMENT for an unknown encoding or a corrupt stream; RESOURCE_EXHAUSTED (413) past the bound.</exception>
    public async Task<byte[]> ReadBodyAsync(HttpRequest request, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(request);
        var encoding = request.Headers.ContentEncoding.Count > 0 ? request.Headers.ContentEncoding[0]!.Trim().ToLowerInvariant() : "";
        if (encoding == "snappy")
        {
            return Unsnappy(await ReadAsync(request.Body, "snappy", cancellation).ConfigureAwait(false));
        }

        if (encoding is "" or "identity")
        {
            return await ReadAsync(request.Body, "plain", cancellation).ConfigureAwait(false);
        }

        Stream source = encoding switch
        {
            "gzip" => new GZipStream(request.Body, CompressionMode.Decompress, leaveOpen: true),
            "deflate" => new ZLibStream(request.Body, CompressionMode.Decompress, leaveOpen: true),
            _ => throw Invalid($"Content-Encoding \"{encoding}\" is not supported here; use gzip, deflate or none"),
        };
        await using (source.ConfigureAwait(false))
        {
            return await ReadAsync(source, encoding, cancellation).ConfigureAwait(false);
        }
    }

    private async Task<byte[]> ReadAsync(Stream source, string encoding, CancellationToken cancellation)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        try
        {
            int read;
            while ((read = await source.ReadAsync(chunk, cancellation).ConfigureAwait(false)) > 0)
            {
                if (buffer.Length + read > MaxDecodedBodyBytes)
                {
                    throw TooLarge(buffer.Length + read);
                }

                buffer.Write(chunk, 0, read);
            }
        }
        catch (InvalidDataException e)
        {
            throw Invalid($"the {encoding} body is corrupt: {e.Message}");
        }

        return buffer.ToArray();
    }

    /// <summary>Snappy's block format starts with the decoded length, checked before anything is allocated.</summary>
    private byte[] Unsnappy(byte[] compressed)
    {
        int length;
        try
        {
            length = Snappier.Snappy.GetUncompressedLength(compressed);
        }
        catch (InvalidDataException e)
        {
            throw Invalid($"the snappy body is corrupt: {e.Message}");
        }

        if (length > MaxDecodedBodyBytes)
        {
            throw TooLarge(length);
        }

        var decoded = new byte[length];
        try
        {
            var written = Snappier.Snappy.Decompress(compressed, decoded);
            if (written != length)
            {
                throw Invalid($"the snappy body decodes to {written} bytes, not the {length} its header says");
            }
        }
        catch (InvalidDataException e)
        {
            throw Invalid($"the snappy body is corrupt: {e.Message}");
        }

        return decoded;
    }

    /// <summary>
    /// Writes and answers 204; a write error becomes its HTTP status (<see cref="StatusOf"/>) with the
    /// reason as text. A write refused admission (its status carries a RetryInfo) also gets
    /// <c>Retry-After</c>, and <paramref name="refusedStatus"/> (429 unless a route's clients retry
    /// only 503, as Prometheus remote_write does without <c>retry_on_http_429</c>).
    /// </summary>
    public static async Task<IResult> Answer(Func<Task<IResult>> handle, int refusedStatus = StatusCodes.Status429TooManyRequests)
    {
        ArgumentNullException.ThrowIfNull(handle);
        try
        {
            return await handle().ConfigureAwait(false);
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.ResourceExhausted && EngineCalls.RetryDelayOf(e) is { } delay)
        {
            return new RetryAfter(Results.Text(e.Status.Detail, "text/plain", statusCode: refusedStatus), delay);
        }
        catch (RpcException e)
        {
            return Results.Text(e.Status.Detail, "text/plain", statusCode: StatusOf(e));
        }
        catch (BadHttpRequestException e)
        {
            // Kestrel's own body limit (MaxRequestBodySize), or a client that stopped sending.
            return Results.Text(e.Message, "text/plain", statusCode: e.StatusCode);
        }
    }

    /// <summary>The HTTP status of a write error, as the gRPC JSON API maps them (a full ring 429, an entry over the journal's limit 413).</summary>
    public static int StatusOf(RpcException e)
    {
        ArgumentNullException.ThrowIfNull(e);
        return e.StatusCode switch
        {
            StatusCode.InvalidArgument => StatusCodes.Status400BadRequest,
            StatusCode.Unauthenticated => StatusCodes.Status401Unauthorized,
            StatusCode.PermissionDenied => StatusCodes.Status403Forbidden,
            StatusCode.ResourceExhausted when e.Trailers.Get(EngineCalls.TooLargeTrailer) is not null => StatusCodes.Status413PayloadTooLarge,
            StatusCode.ResourceExhausted => StatusCodes.Status429TooManyRequests,
            StatusCode.Unavailable => StatusCodes.Status503ServiceUnavailable,
            _ => StatusCodes.Status500InternalServerError,
        };
    }

    /// <summary>A write of no points (every sample was a stale marker or a first counter sample) has nothing to make durable.</summary>
    public static bool IsEmpty(WriteRequest request) => request.Points.Count == 0 && request.CheckRuns.Count == 0;

    /// <summary>An answer with <c>Retry-After</c> in whole seconds (at least 1).</summary>
    private sealed class RetryAfter(IResult inner, TimeSpan delay) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            ArgumentNullException.ThrowIfNull(httpContext);
            var seconds = Math.Max(1, (long)Math.Ceiling(delay.TotalSeconds));
            httpContext.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            return inner.ExecuteAsync(httpContext);
        }
    }

    public static RpcException Invalid(string message) => new(new Status(StatusCode.InvalidArgument, message));

    public RpcException TooLarge(long bytes) =>
        new(new Status(StatusCode.ResourceExhausted, $"the decoded body is over {MaxDecodedBodyBytes} bytes (got at least {bytes}); send smaller batches"), new Metadata { { EngineCalls.TooLargeTrailer, MaxDecodedBodyBytes.ToString(System.Globalization.CultureInfo.InvariantCulture) } });
}
