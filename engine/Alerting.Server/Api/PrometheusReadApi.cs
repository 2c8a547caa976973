using System.Globalization;
using System.Text.Json;
using Alerting.Engine.State;
using Alerting.Server.Ingest;
using Alerting.Server.Security;
using Grpc.Core;
using static Alerting.Server.Api.PrometheusAlertsReader;
using LogMonitor = Alerting.Protocol.Log.Monitor;

namespace Alerting.Server.Api;

/// <summary>
/// <c>GET /api/v1/alerts</c> and <c>GET /api/v1/rules</c> in the JSON shape of Prometheus 2.42,
/// so Grafana's Prometheus data source and other readers of Prometheus alerts list ours. A
/// monitor is an alerting rule (in a rule group of its own, named after it); a firing or pending
/// group is an alert. The mapping (docs/prometheus-read-api.md):
/// <list type="bullet">
/// <item>ALERT → <c>firing</c>, <c>severity="critical"</c>; WARN → <c>firing</c>, <c>severity="warning"</c>;
/// NO DATA → <c>firing</c>, <c>severity="no_data"</c>; OK while pending toward a level → <c>pending</c>
/// with that level's severity. OK groups are not listed (a rule with none is <c>inactive</c>).</item>
/// <item>Labels: the monitor's tags, then the group's tags (<c>key:value</c> → <c>key="value"</c>, a tag
/// without a value → <c>"true"</c>, other characters of a name → <c>_</c>), then <c>alertname</c> (the
/// monitor's name), <c>monitor_id</c> and <c>severity</c>.</item>
/// <item>Annotations: <c>message</c>, the monitor's message template as written.</item>
/// </list>
/// The key needs the read scope, in <c>authorization: Bearer</c>. Errors use Prometheus's error shape.
/// </summary>
public static class PrometheusReadApi
{
    public const string AlertsRoute = "/api/v1/alerts";
    public const string RulesRoute = "/api/v1/rules";

    /// <summary>Grafana's Prometheus data source probes it to tell Prometheus from Mimir or Cortex (a ruler); the answer has no <c>features</c>, so Grafana treats this server as Prometheus.</summary>
    public const string BuildInfoRoute = "/api/v1/status/buildinfo";

    /// <summary>Prometheus's <c>lastEvaluation</c> of a rule it never evaluated: per-monitor evaluation times are not kept.</summary>
    private const string NotTracked = "0001-01-01T00:00:00Z";

    public static void Map(IEndpointRouteBuilder routes)
    {
        routes.MapGet(AlertsRoute, (HttpContext http, ApiKeyRing keys, PrometheusAlertsReader reader) => Answer(http, keys, AlertsRoute, () => Alerts(reader)));
        routes.MapGet(RulesRoute, (HttpContext http, ApiKeyRing keys, PrometheusAlertsReader reader) => Answer(http, keys, RulesRoute, () => Rules(http, reader)));
        routes.MapGet(BuildInfoRoute, (HttpContext http, ApiKeyRing keys) => Answer(http, keys, BuildInfoRoute, () => Task.FromResult(BuildInfo())));
    }

    private static async Task<IResult> Answer(HttpContext http, ApiKeyRing keys, string route, Func<Task<byte[]>> read)
    {
        try
        {
            var key = ApiKeyRing.BearerKey(http.Request.Headers.Authorization.Count > 0 ? http.Request.Headers.Authorization[0] : null);
            keys.Authorize(key, ApiScopes.Read, "\"authorization: Bearer <api key>\" header", route);
            return Results.Bytes(await read().ConfigureAwait(false), "application/json");
        }
        catch (RpcException e)
        {
            var status = HttpIngest.StatusOf(e);
            var type = status switch
            {
                StatusCodes.Status400BadRequest => "bad_data",
                StatusCodes.Status503ServiceUnavailable or StatusCodes.Status429TooManyRequests => "unavailable",
                _ => "execution",
            };
            return Results.Json(new { status = "error", errorType = type, error = e.Status.Detail }, statusCode: status);
        }
    }

    private static async Task<byte[]> Alerts(PrometheusAlertsReader reader)
    {
        var active = await reader.ActiveGroupsAsync().ConfigureAwait(false);
        return Write(json =>
        {
            json.WriteStartObject("data");
            json.WriteStartArray("alerts");
            foreach (var group in active.Items)
            {
                WriteAlert(json, group);
            }

            json.WriteEndArray();
            json.WriteEndObject();
            WriteWarnings(json, active.Truncated, $"only the first {MaxAlerts} firing or pending groups are listed");
        });
    }

    private static async Task<byte[]> Rules(HttpContext http, PrometheusAlertsReader reader)
    {
        // Prometheus filters with type=alert|record; every monitor is an alerting rule.
        var type = http.Request.Query["type"].ToString();
        if (type is not ("" or "alert" or "record"))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"type: \"{type}\" is not alert or record"));
        }

        var monitors = type == "record" ? new Listing<LogMonitor>([], false) : await reader.MonitorsAsync().ConfigureAwait(false);
        var active = type == "record" ? new Listing<ActiveGroup>([], false) : await reader.ActiveGroupsAsync().ConfigureAwait(false);
        var byMonitor = active.Items.GroupBy(g => g.MonitorId, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
        return Write(json =>
        {
            json.WriteStartObject("data");
            json.WriteStartArray("groups");
            foreach (var monitor in monitors.Items)
            {
                var alerts = byMonitor.GetValueOrDefault(monitor.Id) ?? [];
                var intervalMs = monitor.Options?.EvaluationIntervalMs is > 0 and var ms ? ms : 60_000;
                json.WriteStartObject();
                json.WriteString("name", monitor.Name);
                json.WriteString("file", "monitors");
                json.WriteStartArray("rules");
                json.WriteStartObject();
                json.WriteString("state", alerts.Any(a => Firing(a)) ? "firing" : alerts.Count > 0 ? "pending" : "inactive");
                json.WriteString("name", monitor.Name);
                json.WriteString("query", monitor.Query);
                json.WriteNumber("duration", (monitor.Options?.ForMs ?? 0) / 1000.0);
                json.WriteNumber("keepFiringFor", (monitor.Options?.KeepFiringForMs ?? 0) / 1000.0);
                WriteLabels(json, "labels", MonitorLabels(monitor.Id, monitor.Tags));
                WriteAnnotations(json, monitor.Message);
                json.WriteStartArray("alerts");
                foreach (var alert in alerts)
                {
                    WriteAlert(json, alert);
                }

                json.WriteEndArray();
                json.WriteString("health", "ok");
                json.WriteNumber("evaluationTime", 0);
                json.WriteString("lastEvaluation", NotTracked);
                json.WriteString("type", "alerting");
                json.WriteEndObject();
                json.WriteEndArray();
                json.WriteNumber("interval", intervalMs / 1000.0);
                json.WriteNumber("limit", 0);
                json.WriteNumber("evaluationTime", 0);
                json.WriteString("lastEvaluation", NotTracked);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
            WriteWarnings(json, monitors.Truncated, $"only the first {MaxRules} monitors are listed");
            WriteWarnings(json, active.Truncated && !monitors.Truncated, $"only the first {MaxAlerts} firing or pending groups are listed");
        });
    }

    /// <summary>
    /// Prometheus's keys, with this build's values: <c>version</c> and <c>revision</c> as in
    /// <c>alerting_build_info</c>, <c>goVersion</c> the .NET runtime; what is not recorded in the build is <c>unknown</c>.
    /// </summary>
    private static byte[] BuildInfo()
    {
        var build = Hosting.GroupStateCensus.BuildInfo().ToDictionary(l => l.Key, l => (string)l.Value!, StringComparer.Ordinal);
        return Write(json =>
        {
            json.WriteStartObject("data");
            json.WriteString("version", build["version"]);
            json.WriteString("revision", build["commit"]);
            json.WriteString("branch", "unknown");
            json.WriteString("buildUser", "unknown");
            json.WriteString("buildDate", "unknown");
            json.WriteString("goVersion", build["runtime"]);
            json.WriteEndObject();
        });
    }

    private static byte[] Write(Action<Utf8JsonWriter> data)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("status", "success");
            data(json);
            json.WriteEndObject();
        }

        return buffer.ToArray();
    }

    private static void WriteWarnings(Utf8JsonWriter json, bool truncated, string warning)
    {
        if (truncated)
        {
            json.WriteStartArray("warnings");
            json.WriteStringValue(warning);
            json.WriteEndArray();
        }
    }

    private static bool Firing(ActiveGroup group) => group.State != AlertState.Ok;

    private static void WriteAlert(Utf8JsonWriter json, ActiveGroup group)
    {
        var labels = MonitorLabels(group.MonitorId, group.MonitorTags);
        if (group.GroupKey != "*")
        {
            // A group key is its group-by tags joined with ','.
            AddTags(labels, group.GroupKey.Split(','));
        }

        labels["alertname"] = group.MonitorName;
        labels["severity"] = Severity(Firing(group) ? group.State : group.PendingLevel);
        json.WriteStartObject();
        WriteLabels(json, "labels", labels);
        WriteAnnotations(json, group.Message);
        json.WriteString("state", Firing(group) ? "firing" : "pending");
        json.WriteString("activeAt", DateTimeOffset.FromUnixTimeMilliseconds(group.SinceMs).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
        json.WriteString("value", FormatValue(group.Value));
        json.WriteEndObject();
    }

    private static string Severity(AlertState level) => level switch
    {
        AlertState.Alert => "critical",
        AlertState.Warn => "warning",
        AlertState.NoData => "no_data",
        _ => "none",
    };

    private static SortedDictionary<string, string> MonitorLabels(string monitorId, IEnumerable<string> tags)
    {
        var labels = new SortedDictionary<string, string>(StringComparer.Ordinal);
        AddTags(labels, tags);
        labels["monitor_id"] = monitorId;
        return labels;
    }

    private static void AddTags(SortedDictionary<string, string> labels, IEnumerable<string> tags)
    {
        foreach (var tag in tags)
        {
            var colon = tag.IndexOf(':', StringComparison.Ordinal);
            var name = LabelName(colon < 0 ? tag : tag[..colon]);
            if (name.Length > 0)
            {
                labels[name] = colon < 0 ? "true" : tag[(colon + 1)..];
            }
        }
    }

    /// <summary>A Prometheus label name, <c>[a-zA-Z_][a-zA-Z0-9_]*</c>: other characters become <c>_</c>.</summary>
    internal static string LabelName(string tagKey)
    {
        if (tagKey.Length == 0)
        {
            return tagKey;
        }

        var chars = tagKey.ToCharArray();
        for (var i = 0; i < chars.Length; i++)
        {
            var c = chars[i];
            var ok = c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or '_' || (i > 0 && c is >= '0' and <= '9');
            if (!ok)
            {
                chars[i] = '_';
            }
        }

        return new string(chars);
    }

    /// <summary>A sample value as Prometheus writes it (Go's <c>strconv.FormatFloat(v, 'e', -1, 64)</c>): <c>1e+00</c>, <c>2.5e+01</c>, <c>NaN</c>, <c>+Inf</c>.</summary>
    internal static string FormatValue(double value)
    {
        if (double.IsNaN(value))
        {
            return "NaN";
        }

        if (double.IsInfinity(value))
        {
            return value > 0 ? "+Inf" : "-Inf";
        }

        // The fewest digits that read back as the same double, as Go's -1 precision does.
        var text = value.ToString("E16", CultureInfo.InvariantCulture);
        for (var digits = 0; digits <= 16; digits++)
        {
            var candidate = value.ToString("E" + digits.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
            if (double.Parse(candidate, CultureInfo.InvariantCulture) == value)
            {
                text = candidate;
                break;
            }
        }

        // .NET writes "2.5E+001"; Go writes "2.5e+01" (at least two exponent digits).
        var e = text.IndexOf('E', StringComparison.Ordinal);
        var mantissa = text[..e];
        var sign = text[e + 1];
        var exponent = text[(e + 2)..].TrimStart('0').PadLeft(2, '0');
        return $"{mantissa}e{sign}{exponent}";
    }

    private static void WriteLabels(Utf8JsonWriter json, string name, SortedDictionary<string, string> labels)
    {
        json.WriteStartObject(name);
        foreach (var (key, value) in labels)
        {
            json.WriteString(key, value);
        }

        json.WriteEndObject();
    }

    private static void WriteAnnotations(Utf8JsonWriter json, string message)
    {
        json.WriteStartObject("annotations");
        if (message.Length > 0)
        {
            json.WriteString("message", message);
        }

        json.WriteEndObject();
    }
}
