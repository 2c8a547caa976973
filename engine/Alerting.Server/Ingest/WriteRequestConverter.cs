using Alerting.Engine.Monitors;
using Alerting.Engine.Pipeline;
using Alerting.Engine.StateMachine;
using Alerting.Protocol.Log;
using Alerting.Protocol.V1;
using Grpc.Core;

namespace Alerting.Server.Ingest;

/// <summary>
/// The ingest boundary: checks a <see cref="WriteRequest"/> once and turns it into log entries
/// (points grouped by series, check runs as one batch). Shape errors (empty metric, a tag that
/// is not <c>key:value</c>, a control character in a name or tag, too many points) are
/// INVALID_ARGUMENT naming the field path (<c>points[3].tags[1]</c>); values and
/// timestamps are the state machine's to judge, so NaN or a stale point comes back counted
/// in the ack's rejected counts, not as an error.
/// </summary>
public static class WriteRequestConverter
{
    /// <summary>Longest metric or check name.</summary>
    public const int MaxNameLength = 200;

    /// <summary>Longest tag (<c>key:value</c>).</summary>
    public const int MaxTagLength = 200;

    public const int MaxTagsPerPoint = 64;

    /// <summary>Longest check-run message.</summary>
    public const int MaxCheckMessageLength = 4_000;

    /// <exception cref="RpcException">INVALID_ARGUMENT naming the first offending field.</exception>
    public static (LogEntry? Points, LogEntry? CheckRuns) ToEntries(WriteRequest request, int maxPointsPerRequest)
    {
        ArgumentNullException.ThrowIfNull(request);
        var total = request.Points.Count + request.CheckRuns.Count;
        if (total > maxPointsPerRequest)
        {
            throw Invalid($"points: {request.Points.Count} points and {request.CheckRuns.Count} check runs exceed the limit of {maxPointsPerRequest} per request (MaxPointsPerRequest); split the batch");
        }

        var client = ClientOf(request);
        var points = PointsEntry(request);
        var checkRuns = CheckRunsEntry(request);
        if (client is not null)
        {
            // One request, one or two entries: each names its part so a retry that finds one of
            // them applied applies only the other (ClientSessions).
            var parts = (uint)((points is null ? 0 : 1) + (checkRuns is null ? 0 : 1));
            if (points is not null)
            {
                points.Points.Client = new ClientBatch { ClientId = client.ClientId, Sequence = client.Sequence, Part = 0, Parts = parts };
            }

            if (checkRuns is not null)
            {
                checkRuns.CheckRuns.Client = new ClientBatch { ClientId = client.ClientId, Sequence = client.Sequence, Part = parts - 1, Parts = parts };
            }
        }

        return (points, checkRuns);
    }

    /// <summary>The request's client batch identity, checked; null when it has no client id (no deduplication).</summary>
    private static ClientBatch? ClientOf(WriteRequest request)
    {
        if (request.ClientId.Length == 0)
        {
            return request.Sequence == 0
                ? null
                : throw Invalid($"sequence: {request.Sequence} given without client_id; a sequence only means something per client");
        }

        if (request.ClientId.Length > ClientSessions.MaxClientIdLength)
        {
            throw Invalid($"client_id: at most {ClientSessions.MaxClientIdLength} characters, got {request.ClientId.Length}");
        }

        RequireNoControlCharacters(request.ClientId, "client_id");
        if (request.Sequence == 0)
        {
            throw Invalid("sequence: must be 1 or more when client_id is set (number a client's batches 1, 2, 3, ...)");
        }

        return new ClientBatch { ClientId = request.ClientId, Sequence = request.Sequence };
    }

    /// <summary>Adds an entry's per-reason rejections to <paramref name="counts"/>.</summary>
    public static void AddRejected(AppliedEntry applied, long[] counts)
    {
        ArgumentNullException.ThrowIfNull(counts);
        var rejected = applied.Result.Rejected;
        for (var i = 0; i < rejected.Count; i++)
        {
            counts[i] += rejected[i];
        }
    }

    private static LogEntry? PointsEntry(WriteRequest request)
    {
        if (request.Points.Count == 0)
        {
            return null;
        }

        // This loop runs for every point the server takes in (M1: 300 k/s and more), so it builds
        // no string unless it fails: the field path of an error is formatted only then, and the
        // series key is the metric, type and sorted tag array themselves, not a joined string.
        var series = new Dictionary<SeriesKey, SeriesPoints>(request.Points.Count, SeriesKey.Comparer);
        var batch = new PointsBatch();
        for (var i = 0; i < request.Points.Count; i++)
        {
            var point = request.Points[i];
            CheckName(point.Metric, "points", i, "metric");
            var tags = SortedTags(point.Tags, "points", i);
            var type = SeriesTypeOf(point.Type, i);

            // Points of one series with different types go in separate runs, so each keeps its type.
            var key = new SeriesKey(point.Metric, type, tags);
            if (!series.TryGetValue(key, out var one))
            {
                one = new SeriesPoints { Metric = point.Metric, Type = type };
                // Most series of a request carry one point (M1: 1 000 series of one point): size
                // the fields for that instead of protobuf's first growth to 8 elements.
                one.Tags.Capacity = tags.Length;
                one.UnixMs.Capacity = 1;
                one.Values.Capacity = 1;
                one.Tags.AddRange(tags);
                series.Add(key, one);
                batch.Series.Add(one);
            }

            one.UnixMs.Add(point.UnixMs);
            one.Values.Add(point.Value);
        }

        return new LogEntry { Points = batch };
    }

    /// <summary>The log's value for an API metric type: the same number, checked to be one the log knows.</summary>
    private static SeriesType SeriesTypeOf(MetricType type, int point) => type switch
    {
        MetricType.Unspecified => SeriesType.Unspecified,
        MetricType.Gauge => SeriesType.Gauge,
        MetricType.Count => SeriesType.Count,
        MetricType.Rate => SeriesType.Rate,
        MetricType.Distribution => SeriesType.Distribution,
        _ => throw Invalid($"points[{point}].type: unknown metric type {(int)type}; expected gauge, count, rate or distribution"),
    };

    private static LogEntry? CheckRunsEntry(WriteRequest request)
    {
        if (request.CheckRuns.Count == 0)
        {
            return null;
        }

        var batch = new CheckRunsBatch();
        for (var i = 0; i < request.CheckRuns.Count; i++)
        {
            var run = request.CheckRuns[i];
            CheckName(run.Check, "check_runs", i, "check");
            if (run.Message.Length > MaxCheckMessageLength)
            {
                throw Invalid($"check_runs[{i}].message: at most {MaxCheckMessageLength} characters, got {run.Message.Length}");
            }

            var converted = new CheckRun { Check = run.Check, UnixMs = run.UnixMs, Status = run.Status, Message = run.Message };
            converted.Tags.AddRange(SortedTags(run.Tags, "check_runs", i));
            batch.Runs.Add(converted);
        }

        return new LogEntry { CheckRuns = batch };
    }

    /// <param name="collection">The request's repeated field (<c>points</c>), <paramref name="item"/> the index in it and <paramref name="member"/> the name's field: the error path is formatted from them only on failure.</param>
    private static void CheckName(string name, string collection, int item, string member)
    {
        if (name.Length == 0)
        {
            throw Invalid($"{collection}[{item}].{member}: must not be empty");
        }

        if (name.Length > MaxNameLength)
        {
            throw Invalid($"{collection}[{item}].{member}: at most {MaxNameLength} characters, got {name.Length}");
        }

        var at = IngestLimits.IndexOfControlCharacter(name);
        if (at >= 0)
        {
            throw Invalid($"{collection}[{item}].{member}: {IngestLimits.ControlCharacterReason(name, at)}");
        }
    }

    private static string[] SortedTags(Google.Protobuf.Collections.RepeatedField<string> tags, string collection, int item)
    {
        if (tags.Count > MaxTagsPerPoint)
        {
            throw Invalid($"{collection}[{item}].tags: at most {MaxTagsPerPoint} tags, got {tags.Count}");
        }

        if (tags.Count == 0)
        {
            return [];
        }

        var sorted = new string[tags.Count];
        for (var i = 0; i < tags.Count; i++)
        {
            var tag = tags[i];
            var colon = tag.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0 || colon == tag.Length - 1)
            {
                throw Invalid($"{collection}[{item}].tags[{i}]: \"{tag}\" must be \"key:value\" with a non-empty key and value");
            }

            if (tag.Length > MaxTagLength)
            {
                throw Invalid($"{collection}[{item}].tags[{i}]: at most {MaxTagLength} characters, got {tag.Length}");
            }

            // The field path is formatted only on error: this runs for every tag of every point.
            var at = IngestLimits.IndexOfControlCharacter(tag);
            if (at >= 0)
            {
                throw Invalid($"{collection}[{item}].tags[{i}]: {IngestLimits.ControlCharacterReason(tag, at)}");
            }

            sorted[i] = tag;
        }

        if (sorted.Length > 1)
        {
            Array.Sort(sorted, StringComparer.Ordinal);
        }

        return sorted;
    }

    private static void RequireNoControlCharacters(string text, string field)
    {
        var at = IngestLimits.IndexOfControlCharacter(text);
        if (at >= 0)
        {
            throw Invalid($"{field}: {IngestLimits.ControlCharacterReason(text, at)}");
        }
    }

    /// <summary>One series of a request: its metric, type and ordinal-sorted tags, compared by value.</summary>
    private readonly record struct SeriesKey(string Metric, SeriesType Type, string[] Tags)
    {
        public static readonly IEqualityComparer<SeriesKey> Comparer = new ValueComparer();

        private sealed class ValueComparer : IEqualityComparer<SeriesKey>
        {
            public bool Equals(SeriesKey x, SeriesKey y)
            {
                if (x.Type != y.Type || x.Tags.Length != y.Tags.Length || !string.Equals(x.Metric, y.Metric, StringComparison.Ordinal))
                {
                    return false;
                }

                for (var i = 0; i < x.Tags.Length; i++)
                {
                    if (!string.Equals(x.Tags[i], y.Tags[i], StringComparison.Ordinal))
                    {
                        return false;
                    }
                }

                return true;
            }

            public int GetHashCode(SeriesKey key)
            {
                var hash = new HashCode();
                hash.Add(key.Metric, StringComparer.Ordinal);
                hash.Add(key.Type);
                foreach (var tag in key.Tags)
                {
                    hash.Add(tag, StringComparer.Ordinal);
                }

                return hash.ToHashCode();
            }
        }
    }

    private static RpcException Invalid(string message) => new(new Status(StatusCode.InvalidArgument, message));
}
