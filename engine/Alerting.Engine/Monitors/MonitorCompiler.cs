using System.IO.Hashing;
using System.Text;
using Alerting.Engine.Evaluation;
using Alerting.Engine.Monitors.Query;
using Alerting.Engine.Monitors.Templates;
using Alerting.Engine.State;
using Alerting.Protocol.Log;
using Monitor = Alerting.Protocol.Log.Monitor;

namespace Alerting.Engine.Monitors;

/// <summary>
/// Turns a monitor definition into a <see cref="CompiledMonitor"/>, or says which field is
/// wrong and why. The boundary (the API) calls it to answer INVALID_ARGUMENT; the state
/// machine calls it again on apply, and since it is a pure function of the definition, every
/// replica reaches the same verdict.
/// </summary>
public static class MonitorCompiler
{
    /// <summary>Default evaluation interval (DESIGN section 5).</summary>
    public const long DefaultIntervalMs = 60_000;

    public const long MinIntervalMs = 1_000;

    public const long MaxIntervalMs = 24L * 60 * 60 * 1000;

    /// <summary>Largest evaluation delay: 1 h (Datadog allows up to 1 day; windows must hold it).</summary>
    public const long MaxEvaluationDelayMs = 60L * 60 * 1000;

    public const int MaxIdLength = 200;

    public const int MaxNameLength = 500;

    public const int MaxMessageLength = 10_000;

    public const int MaxTags = 64;

    /// <summary>Longest monitor tag, in UTF-16 chars: the same bound as a series tag (<see cref="QueryLimits.MaxTagLength"/>).</summary>
    public const int MaxTagLength = QueryLimits.MaxTagLength;

    /// <summary>
    /// Most bytes of a definition encoded as protobuf, unknown fields included. Every field has
    /// its own bound, but they are in chars and a char can take three bytes, and fields this
    /// version does not know are kept as sent: this bounds the log entry, the snapshot and the
    /// memory of one monitor whatever it holds. A maximal ASCII definition is about 57 KiB.
    /// </summary>
    public const int MaxDefinitionBytes = 64 * 1024;

    /// <summary>Most <c>renotify_statuses</c>: each of <c>alert</c>, <c>warn</c>, <c>no data</c> at most once.</summary>
    public const int MaxRenotifyStatuses = 3;

    /// <summary>
    /// <see cref="MonitorValidationException.Field"/> of an error about the definition as a whole
    /// (its encoded size) rather than one field.
    /// </summary>
    public const string WholeDefinition = "";

    /// <summary>
    /// <c>no_data_timeframe</c> of a check monitor with <c>notify_no_data</c> and no timeframe: 24 h, as
    /// Datadog's API documents for service checks (metric monitors default to twice their window).
    /// </summary>
    public const long DefaultCheckNoDataTimeframeMs = 24L * 60 * 60 * 1000;

    /// <summary>Priority used when the definition leaves it unset (0).</summary>
    public const int DefaultPriority = 3;

    /// <summary>Checks the definition; throws <see cref="MonitorValidationException"/> naming the field.</summary>
    public static void Validate(Monitor monitor) => Compile(monitor);

    internal static CompiledMonitor Compile(Monitor monitor)
    {
        ArgumentNullException.ThrowIfNull(monitor);

        // Checked first and on every replica alike: an entry an older version wrote without
        // these bounds is refused here on apply, the same way on every node.
        var definitionBytes = monitor.CalculateSize();
        Require(definitionBytes <= MaxDefinitionBytes, WholeDefinition, $"the definition is {definitionBytes} bytes encoded, at most {MaxDefinitionBytes} (MaxDefinitionBytes)");
        Require(monitor.Id.Length is > 0 and <= MaxIdLength, "id", $"must be 1 to {MaxIdLength} characters");
        RequireNoControlCharacters(monitor.Id, "id");
        Require(monitor.Name.Length <= MaxNameLength, "name", $"must be at most {MaxNameLength} characters, was {monitor.Name.Length}");
        RequireNoControlCharacters(monitor.Name, "name");
        Require(monitor.Message.Length <= MaxMessageLength, "message", $"must be at most {MaxMessageLength} characters, was {monitor.Message.Length}");
        Require(monitor.Tags.Count <= MaxTags, "tags", $"at most {MaxTags} tags, was {monitor.Tags.Count}");
        for (var i = 0; i < monitor.Tags.Count; i++)
        {
            Require(monitor.Tags[i].Length <= MaxTagLength, $"tags[{i}]", $"must be at most {MaxTagLength} characters, was {monitor.Tags[i].Length}");
            RequireNoControlCharacters(monitor.Tags[i], $"tags[{i}]");
        }

        if (monitor.Options is { } given)
        {
            RequireDistinctRenotifyStatuses(given.RenotifyStatuses);
        }

        Require(monitor.Priority is >= 0 and <= 5, "priority", "must be 1 (highest) to 5, or unset");
        if (!MessageTemplate.TryParse(monitor.Message, out var message, out var messageError))
        {
            throw new MonitorValidationException("message", messageError.Message);
        }

        var kind = monitor.Type switch
        {
            "metric" => MonitorKind.Metric,
            "check" => MonitorKind.Check,
            _ => throw new MonitorValidationException("type", $"must be \"metric\" or \"check\", was \"{monitor.Type}\""),
        };

        MonitorQuery query;
        try
        {
            query = QueryParser.Parse(monitor.Query);
        }
        catch (QueryParseException e)
        {
            throw new MonitorValidationException("query", e.Message);
        }

        var options = monitor.Options?.Clone() ?? new MonitorOptions();
        var explicitNoDataTimeframeMs = options.NoDataTimeframeMs;
        var interval = options.EvaluationIntervalMs == 0 ? DefaultIntervalMs : options.EvaluationIntervalMs;
        Require(interval is >= MinIntervalMs and <= MaxIntervalMs, "options.evaluation_interval", $"must be {MinIntervalMs} ms to {MaxIntervalMs} ms, was {interval} ms");
        Require(options.EvaluationDelayMs is >= 0 and <= MaxEvaluationDelayMs, "options.evaluation_delay", $"must be 0 to {MaxEvaluationDelayMs} ms");

        MonitorRules rules;
        WindowSpec spec = default;
        long span;
        int checkRuns = 0;
        var checkCounts = CheckCounts.None;
        Require(kind == MonitorKind.Check || options.CheckThresholds is null, "options.check_thresholds", "counts check runs: it applies to check monitors only");
        Require(kind == MonitorKind.Metric || !options.EvaluateAsZero, "options.evaluate_as_zero", "fills a metric window without points: it applies to metric monitors only");
        string source;
        Comparator comparator;
        ulong queryHash;
        System.Collections.Immutable.ImmutableArray<TagFilter> scope;
        System.Collections.Immutable.ImmutableArray<MonitorOperand> operands;
        FormulaProgram? formula = null;
        SeriesModifiers modifiers = default;
        switch (query)
        {
            case MetricQuery metric:
                Require(kind == MonitorKind.Metric, "query", "a metric query needs type \"metric\"");
                RequireCritical(options, metric.Threshold);

                spec = metric.ChangeAggregation is { } inner
                    ? WindowSpec.Change(inner, metric.SpaceAggregation, metric.WindowMs, metric.ShiftMs, metric.TimeAggregation == TimeAggregation.PctChange)
                    : metric.CalendarWindow
                        ? WindowSpec.Current(metric.TimeAggregation, metric.SpaceAggregation, metric.WindowMs)
                        : WindowSpec.Of(metric.TimeAggregation, metric.SpaceAggregation, metric.WindowMs);
                span = metric.WindowMs + metric.ShiftMs + options.EvaluationDelayMs;
                if (options.NotifyNoData && options.NoDataTimeframeMs == 0)
                {
                    // Datadog: without a timeframe, no data is reported after twice the monitor's window.
                    options.NoDataTimeframeMs = 2 * metric.WindowMs;
                }

                source = metric.Metric;
                scope = metric.Scope;
                modifiers = metric.Modifiers;
                operands = [new MonitorOperand(source, scope)];
                comparator = metric.Comparator;
                queryHash = Hash(QueryFormatter.Format(new MetricQuery(
                    metric.TimeAggregation, metric.WindowMs, metric.SpaceAggregation, metric.Metric, metric.Scope,
                    metric.GroupBy, Comparator.Greater, 0, metric.ChangeAggregation, metric.ShiftMs, metric.CalendarWindow, metric.Modifiers)));
                break;
            case FormulaQuery formulaQuery:
                Require(kind == MonitorKind.Metric, "query", "a formula query needs type \"metric\"");
                RequireCritical(options, formulaQuery.Threshold);

                // The space aggregation of the spec is unused: each operand has its own.
                spec = formulaQuery.ChangeAggregation is { } formulaInner
                    ? WindowSpec.Change(formulaInner, formulaQuery.Operands[0].Space, formulaQuery.WindowMs, formulaQuery.ShiftMs, formulaQuery.TimeAggregation == TimeAggregation.PctChange)
                    : formulaQuery.CalendarWindow
                        ? WindowSpec.Current(formulaQuery.TimeAggregation, formulaQuery.Operands[0].Space, formulaQuery.WindowMs)
                        : WindowSpec.Of(formulaQuery.TimeAggregation, formulaQuery.Operands[0].Space, formulaQuery.WindowMs);
                span = formulaQuery.WindowMs + formulaQuery.ShiftMs + options.EvaluationDelayMs;
                if (options.NotifyNoData && options.NoDataTimeframeMs == 0)
                {
                    options.NoDataTimeframeMs = 2 * formulaQuery.WindowMs;
                }

                source = formulaQuery.Operands[0].Metric;
                scope = formulaQuery.Operands[0].Scope;
                operands = [.. formulaQuery.Operands.Select(o => new MonitorOperand(o.Metric, o.Scope))];
                formula = FormulaProgram.Compile(formulaQuery);
                comparator = formulaQuery.Comparator;
                queryHash = Hash(QueryFormatter.Format(new FormulaQuery(
                    formulaQuery.TimeAggregation, formulaQuery.WindowMs, formulaQuery.Expression, Comparator.Greater, 0,
                    formulaQuery.ChangeAggregation, formulaQuery.ShiftMs, formulaQuery.CalendarWindow)));
                break;
            case CheckQuery check:
                Require(kind == MonitorKind.Check, "query", "a check query needs type \"check\"");
                checkCounts = ReadCheckCounts(options.CheckThresholds);
                checkRuns = Math.Max(check.Last, checkCounts.Longest);
                if (options.NotifyNoData && options.NoDataTimeframeMs == 0)
                {
                    options.NoDataTimeframeMs = DefaultCheckNoDataTimeframeMs;
                }

                span = 0;
                source = check.CheckName;
                scope = check.Over;
                operands = [new MonitorOperand(source, scope)];
                comparator = CheckStatusAdapter.CheckComparator;
                queryHash = Hash(QueryFormatter.Format(check));
                break;
            default:
                throw new MonitorValidationException("query", "is neither a metric nor a check query");
        }

        Require(formula is null || !options.EvaluateAsZero, "options.evaluate_as_zero", "applies to single-query monitors; formula monitors do not support it yet");
        var tier = kind == MonitorKind.Metric ? StoreTiers.For(span) : 0;
        Require(tier >= 0, "query", $"window + change shift + evaluation delay is {span} ms; the longest kept is {StoreTiers.MaxSpanMs} ms");

        try
        {
            rules = MonitorRules.FromProto(monitor.Id, kind, queryHash, comparator, options);
        }
        catch (OptionValidationException e)
        {
            var prefix = e.Field + ": ";
            var reason = e.Message.StartsWith(prefix, StringComparison.Ordinal) ? e.Message[prefix.Length..] : e.Message;
            throw new MonitorValidationException("options." + e.Field, reason);
        }

        return new CompiledMonitor
        {
            Definition = monitor,
            Message = message,
            Query = query,
            Rules = rules,
            Source = source,
            IsCheck = kind == MonitorKind.Check,
            Scope = scope,
            Operands = operands,
            Formula = formula,
            GroupBy = query.GroupBy,
            Spec = spec,
            Modifiers = modifiers,
            CheckRuns = checkRuns,
            CheckCounts = checkCounts,
            Tier = tier,
            IntervalMs = interval,
            OffsetMs = (long)(XxHash64.HashToUInt64(Encoding.UTF8.GetBytes(monitor.Id)) % (ulong)interval),
            OnArrival = options.OnArrival,
            EvaluateAsZero = options.EvaluateAsZero,
            EvaluationDelayMs = options.EvaluationDelayMs,
            Priority = monitor.Priority == 0 ? DefaultPriority : monitor.Priority,
            CheckStalenessMs = explicitNoDataTimeframeMs > 0 ? explicitNoDataTimeframeMs : Math.Max(2 * interval, 120_000),
        };
    }

    /// <summary>The critical threshold is the query's; an explicit one must agree with it.</summary>
    private static void RequireCritical(MonitorOptions options, double threshold)
    {
        options.Thresholds ??= new Thresholds();
        if (options.Thresholds.HasCritical)
        {
            Require(
                options.Thresholds.Critical.Equals(threshold),
                "options.thresholds.critical",
                $"must equal the query's threshold {threshold}, was {options.Thresholds.Critical}");
        }
        else
        {
            options.Thresholds.Critical = threshold;
        }
    }

    /// <summary>Datadog service-check thresholds; 0 takes Datadog's default (1) for critical, warning and ok.</summary>
    private static CheckCounts ReadCheckCounts(CheckThresholds? thresholds)
    {
        if (thresholds is null)
        {
            return CheckCounts.None;
        }

        foreach (var (name, count) in new[] { ("critical", thresholds.Critical), ("warning", thresholds.Warning), ("ok", thresholds.Ok), ("unknown", thresholds.Unknown) })
        {
            Require(count is >= 0 and <= QueryLimits.MaxCheckRuns, "options.check_thresholds." + name, $"must be a number of consecutive runs from 1 to {QueryLimits.MaxCheckRuns} (0 = default), was {count}");
        }

        static int OrOne(int count) => count == 0 ? 1 : count;
        return new CheckCounts(OrOne(thresholds.Critical), OrOne(thresholds.Warning), OrOne(thresholds.Ok), thresholds.Unknown);
    }

    private static ulong Hash(string text) => XxHash64.HashToUInt64(Encoding.UTF8.GetBytes(text));

    private static void RequireNoControlCharacters(string text, string field)
    {
        var at = IngestLimits.IndexOfControlCharacter(text);
        Require(at < 0, field, at < 0 ? string.Empty : IngestLimits.ControlCharacterReason(text, at));
    }

    private static void RequireDistinctRenotifyStatuses(Google.Protobuf.Collections.RepeatedField<string> statuses)
    {
        const string field = "options.renotify_statuses";
        Require(statuses.Count <= MaxRenotifyStatuses, field, $"at most {MaxRenotifyStatuses} (\"alert\", \"warn\", \"no data\", each once), was {statuses.Count}");
        for (var i = 1; i < statuses.Count; i++)
        {
            for (var j = 0; j < i; j++)
            {
                Require(!string.Equals(statuses[i], statuses[j], StringComparison.Ordinal), field, $"\"{statuses[i]}\" is listed twice");
            }
        }
    }

    private static void Require(bool condition, string field, string reason)
    {
        if (!condition)
        {
            throw new MonitorValidationException(field, reason);
        }
    }
}
