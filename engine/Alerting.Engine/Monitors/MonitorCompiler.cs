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

    /// <summary><see cref="MonitorValidationException.Field"/> of the escalation message.</summary>
    public const string EscalationMessageField = "options.escalation_message";

    /// <summary><see cref="MonitorValidationException.Field"/> of notify_by.</summary>
    public const string NotifyByField = "options.notify_by";

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

        var escalation = CompileEscalationMessage(monitor.Options?.EscalationMessage ?? "");

        var kind = monitor.Type switch
        {
            "metric" => MonitorKind.Metric,
            "check" => MonitorKind.Check,
            "composite" => MonitorKind.Composite,
            _ => throw new MonitorValidationException("type", $"must be \"metric\", \"check\" or \"composite\", was \"{monitor.Type}\""),
        };

        MonitorQuery query;
        try
        {
            query = kind == MonitorKind.Composite ? CompositeParser.Parse(monitor.Query) : QueryParser.Parse(monitor.Query);
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
        CompositeProgram? composite = null;
        SeriesModifiers modifiers = default;
        int percentileHundredths = 0;
        switch (query)
        {
            case CompositeQuery compositeQuery:
                RequireCompositeOptions(options, monitor.Id, compositeQuery);
                composite = CompositeProgram.Compile(compositeQuery);
                if (options.NotifyNoData)
                {
                    // The composite's own "data" never goes silent (its evaluations read its members'
                    // states): only a NO DATA expression makes it NO DATA (see GroupEvaluator.EvaluateComposite).
                    options.NoDataTimeframeMs = MonitorRules.MaxDurationMs;
                }

                span = 0;
                source = string.Empty;
                scope = [];
                operands = [];
                comparator = CheckStatusAdapter.CheckComparator;
                queryHash = Hash(QueryFormatter.Format(compositeQuery));
                break;
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
            case PercentileQuery percentile:
                Require(kind == MonitorKind.Metric, "query", "a percentile query needs type \"metric\"");
                Require(!options.EvaluateAsZero, "options.evaluate_as_zero", "fills a window without points of count-like data: a percentile of no observations has no value");
                RequireCritical(options, percentile.Threshold);
                spec = WindowSpec.Of(TimeAggregation.Sum, SpaceAggregation.Sum, percentile.WindowMs);
                span = percentile.WindowMs + options.EvaluationDelayMs;
                if (options.NotifyNoData && options.NoDataTimeframeMs == 0)
                {
                    options.NoDataTimeframeMs = 2 * percentile.WindowMs;
                }

                source = percentile.BucketMetric;
                scope = percentile.Scope;
                operands = [new MonitorOperand(source, scope)];
                percentileHundredths = percentile.PercentileHundredths;
                comparator = percentile.Comparator;
                queryHash = Hash(QueryFormatter.Format(new PercentileQuery(
                    percentile.WindowMs, percentile.PercentileHundredths, percentile.Metric, percentile.Scope, percentile.GroupBy, Comparator.Greater, 0)));
                break;
            case FormulaQuery formulaQuery:
                Require(kind == MonitorKind.Metric, "query", "a formula query needs type \"metric\"");
                RequireCritical(options, formulaQuery.Threshold);
                if (formulaQuery.Anomaly is not null)
                {
                    RecoverAtMost(options.Thresholds!);
                }

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
                Require(
                    !formula.AggregatesFirst || !formula.Steps.Any(s => s.Kind is FormulaStepKind.PerSecond or FormulaStepKind.PerMinute or FormulaStepKind.Diff),
                    "query",
                    "with .as_count() the formula runs once over each query's total for the window, so per_second(), per_minute() and diff() would have no earlier value to compare with: use them without .as_count()");
                comparator = formulaQuery.Comparator;
                queryHash = Hash(QueryFormatter.Format(new FormulaQuery(
                    formulaQuery.TimeAggregation, formulaQuery.WindowMs, formulaQuery.Expression, formulaQuery.Anomaly is null ? Comparator.Greater : Comparator.GreaterOrEqual, 0,
                    formulaQuery.ChangeAggregation, formulaQuery.ShiftMs, formulaQuery.CalendarWindow, formulaQuery.Anomaly, formulaQuery.Top)));
                Require(
                    formulaQuery.Top is null || !options.OnArrival,
                    "options.on_arrival",
                    "top() ranks every group of the monitor at each scheduled evaluation: it cannot evaluate one group as its points arrive");
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
        var notifyKeys = CompileNotifyBy(options.NotifyBy, query.GroupBy, kind);
        var tier = kind == MonitorKind.Metric ? StoreTiers.For(span) : 0;
        Require(tier >= 0, "query", $"window + change shift + evaluation delay is {span} ms; the longest kept is {StoreTiers.MaxSpanMs} ms");
        if (query is FormulaQuery { Anomaly: { } anomaly } anomalyQuery)
        {
            RequireAnomalyHistory(anomalyQuery, anomaly, tier, formula!.OperandModifiers[0].RollupSeconds, formula.HasModifiers);
        }

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
            EscalationMessage = escalation,
            NotifyKeys = notifyKeys,
            NotifiesPerKey = notifyKeys is not null,
            Query = query,
            Rules = rules,
            Source = source,
            IsCheck = kind == MonitorKind.Check,
            Scope = scope,
            Operands = operands,
            Formula = formula,
            Composite = composite,
            Ranking = query is FormulaQuery { Top: { } top } ? new TopRanking(top) : null,
            GroupBy = query.GroupBy,
            Spec = spec,
            Modifiers = modifiers,
            PercentileHundredths = percentileHundredths,
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

    /// <summary>
    /// <c>options.notify_by</c>: null when empty; <c>["*"]</c> alone, or distinct tags each of which is one of
    /// the query's group-by tags (Datadog: "tags mentioned in notify_by must be a subset of the grouping tags").
    /// A composite's groups are its most finely grouped member's, known only where the members are: here its
    /// entries are checked on their own (tag names, <c>["*"]</c> alone, none twice), and the state machine checks
    /// them against the members (<see cref="StateMachine.CompositeEvaluator.MembersError"/>).
    /// </summary>
    private static StateMachine.NotifyKeyTable? CompileNotifyBy(Google.Protobuf.Collections.RepeatedField<string> notifyBy, System.Collections.Immutable.ImmutableArray<string> groupBy, MonitorKind kind)
    {
        if (notifyBy.Count == 0)
        {
            return null;
        }

        if (kind == MonitorKind.Composite)
        {
            return CompileCompositeNotifyBy(notifyBy);
        }

        var by = groupBy.IsDefault ? [] : groupBy;
        if (notifyBy.Count == 1 && notifyBy[0] == StateMachine.NotifyKeyTable.WholeMonitorKey)
        {
            // Without a group-by the monitor's one group is the whole monitor: it notifies as it would without notify_by
            // (a key numbered apart from a group of the same key would repeat its transition ids).
            return by.IsEmpty ? null : new StateMachine.NotifyKeyTable([]);
        }

        var positions = new List<int>(notifyBy.Count);
        for (var i = 0; i < notifyBy.Count; i++)
        {
            var tag = notifyBy[i];
            Require(tag != StateMachine.NotifyKeyTable.WholeMonitorKey, $"{NotifyByField}[{i}]", "\"*\" (one notification for the whole monitor) must be notify_by's only entry");
            var at = by.IndexOf(tag, 0, StringComparer.Ordinal);
            Require(
                at >= 0,
                $"{NotifyByField}[{i}]",
                by.IsEmpty
                    ? $"\"{tag}\" is not a group-by tag: the query has no group-by (use [\"*\"] or leave notify_by empty)"
                    : $"\"{tag}\" is not one of the query's group-by tags ({string.Join(", ", by)})");
            Require(!positions.Contains(at), $"{NotifyByField}[{i}]", $"\"{tag}\" is listed twice");
            positions.Add(at);
        }

        positions.Sort();
        // Every group-by tag: each key is one group, named as the group is, so the monitor notifies per group, as
        // without notify_by (a key numbered apart from its group would repeat the group's transition ids).
        return positions.Count == by.Length ? null : new StateMachine.NotifyKeyTable([.. positions]);
    }

    /// <summary>A composite's <c>notify_by</c>: a table by tag names (ordinal order), or of the whole composite for <c>["*"]</c>.</summary>
    private static StateMachine.NotifyKeyTable CompileCompositeNotifyBy(Google.Protobuf.Collections.RepeatedField<string> notifyBy)
    {
        if (notifyBy.Count == 1 && notifyBy[0] == StateMachine.NotifyKeyTable.WholeMonitorKey)
        {
            return new StateMachine.NotifyKeyTable([]);
        }

        var names = new List<string>(notifyBy.Count);
        for (var i = 0; i < notifyBy.Count; i++)
        {
            var tag = notifyBy[i];
            Require(tag != StateMachine.NotifyKeyTable.WholeMonitorKey, $"{NotifyByField}[{i}]", "\"*\" (one notification for the whole monitor) must be notify_by's only entry");
            Require(QueryCharset.IsTagKey(tag), $"{NotifyByField}[{i}]", $"\"{tag}\" is not a tag name (a letter, then letters, digits, _ - . or /)");
            Require(!names.Contains(tag, StringComparer.Ordinal), $"{NotifyByField}[{i}]", $"\"{tag}\" is listed twice");
            names.Add(tag);
        }

        names.Sort(StringComparer.Ordinal);
        return StateMachine.NotifyKeyTable.ByTagNames([.. names]);
    }

    /// <summary>
    /// <c>options.escalation_message</c>: null when empty; otherwise a template with the message's bounds, its
    /// parse errors naming the field and the column in it.
    /// </summary>
    private static MessageTemplate? CompileEscalationMessage(string text)
    {
        if (text.Length == 0)
        {
            return null;
        }

        Require(text.Length <= MaxMessageLength, EscalationMessageField, $"must be at most {MaxMessageLength} characters, was {text.Length}");
        if (!MessageTemplate.TryParse(text, out var template, out var error))
        {
            throw new MonitorValidationException(EscalationMessageField, error.Message);
        }

        return template;
    }

    /// <summary>
    /// anomalies() judges each point of the alert window against the points before it in the
    /// query's window: at the resolution of the windows the monitor reads (with a rollup, in its
    /// intervals), at least two points must be left for that history. With modifiers only whole
    /// intervals make points: a window of W ms holds at least ⌊(W + 1) / row⌋ − 1 of them.
    /// </summary>
    private static void RequireAnomalyHistory(FormulaQuery query, AnomalySpec anomaly, int tier, int rollupSeconds, bool hasModifiers)
    {
        var options = StoreTiers.Options(tier, 0, 1);
        var resolutionMs = options.ResolutionMs;

        // A row is a bucket, or a rollup interval rounded up to whole buckets; the window holds at least ⌈buckets / row⌉ rows.
        var rowBuckets = rollupSeconds == 0 ? 1 : Math.Max(1, ((rollupSeconds * 1_000L) + resolutionMs - 1) / resolutionMs);
        var rowMs = rowBuckets * resolutionMs;
        var q = FormulaEvaluator.AnomalyPointBuckets(anomaly, rowMs);
        var rows = hasModifiers
            ? Math.Max(0, ((query.WindowMs + 1) / rowMs) - 1)
            : (options.BucketsFor(query.WindowMs) + rowBuckets - 1) / rowBuckets;
        var points = rows / q;
        var alert = Math.Min(points, (((anomaly.AlertWindowMs + rowMs - 1) / rowMs) + q - 1) / q);
        Require(
            points - alert >= 2,
            "query",
            $"anomalies() over {QueryFormatter.FormatWindow(query.WindowMs)} reads {points} points of {q * rowMs / 1_000} s and the alert_window takes {alert}: at least 2 must be left before it for the bounds (a longer window, a shorter alert_window or a shorter interval)");
    }

    /// <summary>
    /// An anomalies() monitor recovers when the fraction of anomalous points is at most the
    /// recovery threshold (Datadog: critical_recovery 0 is "back within the bounds for the whole
    /// window"), where a '&gt;=' monitor otherwise recovers below it: the threshold the rules see is
    /// the next double up, so "&lt; next" is exactly "≤ threshold".
    /// </summary>
    private static void RecoverAtMost(Thresholds thresholds)
    {
        if (thresholds.HasCriticalRecovery)
        {
            thresholds.CriticalRecovery = Math.BitIncrement(thresholds.CriticalRecovery);
        }

        if (thresholds.HasWarningRecovery)
        {
            thresholds.WarningRecovery = Math.BitIncrement(thresholds.WarningRecovery);
        }
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

    /// <summary>
    /// A composite follows its members' states: the options about its own data (windows, delays,
    /// thresholds, missing data) have no meaning for it and are refused rather than ignored.
    /// </summary>
    private static void RequireCompositeOptions(MonitorOptions options, string id, CompositeQuery query)
    {
        const string reason = "applies to metric and check monitors; a composite's state follows its members' states";
        Require(!query.Members.Contains(id, StringComparer.Ordinal), "query", $"a composite monitor cannot use itself (\"{id}\")");
        Require(options.Thresholds is null || !(options.Thresholds.HasCritical || options.Thresholds.HasWarning || options.Thresholds.HasCriticalRecovery || options.Thresholds.HasWarningRecovery), "options.thresholds", "a composite monitor has no thresholds: its state is its expression's");
        Require(options.CheckThresholds is null, "options.check_thresholds", reason);
        Require(!options.OnArrival, "options.on_arrival", "a composite evaluates whenever a member changes state, and on its interval");
        Require(options.EvaluationDelayMs == 0, "options.evaluation_delay", reason);
        Require(options.NewGroupDelayMs == 0, "options.new_group_delay", reason);
        Require(!options.RequireFullWindow, "options.require_full_window", reason);
        Require(options.NoDataTimeframeMs == 0, "options.no_data_timeframe", "a composite is NO DATA when its expression is (with notify_no_data), not after a timeframe");
        Require(options.TimeoutMs == 0, "options.timeout", "a composite resolves when its expression does");
        Require(options.GroupRetentionMs == 0, "options.group_retention", "a composite's groups are its members' groups");
        Require(options.OnMissingData is "" or "default", "options.on_missing_data", "a composite uses notify_no_data (Datadog's composite \"No data\" option)");
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
