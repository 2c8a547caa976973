using System.Globalization;
using Alerting.Protocol.Log;
using Monitor = Alerting.Protocol.Log.Monitor;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Alerting.Cli.Files;

/// <summary>
/// Reads monitor definitions from YAML or JSON (JSON is read as YAML flow syntax): one monitor,
/// a list of monitors, or several YAML documents. Fields are Datadog's, in snake_case; durations
/// are <see cref="DurationText"/> strings mapped to the proto's <c>*_ms</c> fields, and a plain
/// number counts in Datadog's unit of the field. A monitor whose <c>type</c> is a Datadog type
/// (<c>metric alert</c>, ...) is read as Datadog exports it (MonitorFile.Datadog.cs). Every problem
/// is collected with its field path and line, so one run reports them all.
/// </summary>
internal sealed partial class MonitorFile
{
    /// <summary>Most monitors one file may hold; a guard against feeding the wrong file.</summary>
    public const int MaxMonitors = 1_000;

    private static readonly string[] MonitorFields = ["name", "type", "query", "message", "tags", "priority", "options"];

    private static readonly string[] OptionFields =
    [
        "thresholds", "evaluation_interval", "on_arrival", "evaluation_delay", "new_group_delay", "require_full_window",
        "notify_no_data", "no_data_timeframe", "renotify_interval", "renotify_statuses", "renotify_occurrences",
        "escalation_message", "timeout_h", "for", "keep_firing_for", "flap_detection", "flap_low_percent", "flap_high_percent", "muted",
        "check_thresholds", "on_missing_data", "group_retention_duration", "evaluate_as_zero", "notify_by",
    ];

    /// <summary>Datadog service-check thresholds: consecutive runs per status.</summary>
    private static readonly string[] CheckThresholdFields = ["critical", "warning", "ok", "unknown"];

    private static readonly string[] ThresholdFields = ["critical", "warning", "critical_recovery", "warning_recovery"];

    private static readonly string[] MonitorTypes = ["metric", "check", "composite"];

    private readonly string _file;
    private readonly List<FileError> _errors = [];
    private readonly List<FileError> _warnings = [];
    private readonly Dictionary<string, (int Line, int Column)> _positions = new(StringComparer.Ordinal);

    // A Datadog export's monitor id, by the monitor's position in the file: what its composites reference.
    private readonly Dictionary<int, string> _sourceIds = [];

    private MonitorFile(string file) => _file = file;

    /// <summary>Parses a file's text; <paramref name="file"/> names it in errors.</summary>
    public static MonitorFileResult Parse(string file, string text)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(text);
        var reader = new MonitorFile(file);
        var monitors = reader.ReadAll(text);
        return new MonitorFileResult(file, monitors, reader._errors, reader._positions) { Warnings = reader._warnings, SourceIds = reader._sourceIds };
    }

    /// <summary>Reads <paramref name="path"/> (<c>-</c> is standard input).</summary>
    public static MonitorFileResult Load(string path, TextReader stdin)
    {
        ArgumentNullException.ThrowIfNull(stdin);
        if (path == "-")
        {
            return Parse("<stdin>", stdin.ReadToEnd());
        }

        if (!File.Exists(path))
        {
            return new MonitorFileResult(path, [], [new FileError(path, 0, 0, "", "file not found")], new Dictionary<string, (int, int)>());
        }

        try
        {
            return Parse(path, File.ReadAllText(path));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new MonitorFileResult(path, [], [new FileError(path, 0, 0, "", $"cannot read: {e.Message}")], new Dictionary<string, (int, int)>());
        }
    }

    private List<Monitor> ReadAll(string text)
    {
        var monitors = new List<Monitor>();
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException e)
        {
            // YamlDotNet's messages start with "(Line: .., Col: ..)"; the position is already ours.
            string message = e.InnerException?.Message ?? e.Message;
            int paren = message.IndexOf("): ", StringComparison.Ordinal);
            _errors.Add(new FileError(_file, (int)e.Start.Line, (int)e.Start.Column, "", paren >= 0 ? message[(paren + 3)..] : message));
            return monitors;
        }

        // Items are numbered in file order, whether or not they turn out to be monitors, so the
        // paths in errors point at the item the operator wrote.
        int item = 0;
        foreach (YamlDocument document in stream.Documents)
        {
            switch (document.RootNode)
            {
                case YamlSequenceNode list:
                    foreach (YamlNode child in list.Children)
                    {
                        ReadMonitor(child, $"[{item++}]", monitors);
                    }

                    break;
                case YamlScalarNode { Value: null or "" }:
                    break;
                default:
                    ReadMonitor(document.RootNode, $"[{item++}]", monitors);
                    break;
            }
        }

        if (monitors.Count == 0 && _errors.Count == 0)
        {
            _errors.Add(new FileError(_file, 0, 0, "", "no monitors in the file"));
        }
        else if (monitors.Count > MaxMonitors)
        {
            _errors.Add(new FileError(_file, 0, 0, "", $"{monitors.Count} monitors exceed the limit of {MaxMonitors} per file"));
        }

        return monitors;
    }

    private void ReadMonitor(YamlNode node, string path, List<Monitor> monitors)
    {
        if (node is not YamlMappingNode map)
        {
            Error(node, path, "a monitor must be a mapping of fields (name, type, query, ...)");
            return;
        }

        _positions[path] = Position(map);
        if (IsDatadogExport(map))
        {
            ReadDatadogMonitor(map, path, monitors);
            return;
        }

        var monitor = new Monitor();
        var fields = Fields(map, path, MonitorFields);
        monitor.Name = RequiredString(fields, map, path, "name");
        monitor.Type = RequiredString(fields, map, path, "type");
        if (monitor.Type.Length > 0 && !MonitorTypes.Contains(monitor.Type))
        {
            Error(fields["type"], $"{path}.type", $"must be one of {string.Join(", ", MonitorTypes)}, or a Datadog export's {string.Join(", ", DatadogTypes.Keys.Select(t => $"\"{t}\""))}; got \"{monitor.Type}\"");
        }

        monitor.Query = RequiredString(fields, map, path, "query");
        if (fields.TryGetValue("message", out YamlNode? message))
        {
            monitor.Message = String(message, $"{path}.message");
        }

        if (fields.TryGetValue("tags", out YamlNode? tags))
        {
            monitor.Tags.AddRange(StringList(tags, $"{path}.tags"));
        }

        if (fields.TryGetValue("priority", out YamlNode? priority))
        {
            long value = Integer(priority, $"{path}.priority");
            if (value is < 1 or > 5)
            {
                Error(priority, $"{path}.priority", $"must be 1 (highest) to 5; got {value}");
            }

            monitor.Priority = (int)Math.Clamp(value, 0, 5);
        }

        monitor.Options = fields.TryGetValue("options", out YamlNode? options)
            ? ReadOptions(options, $"{path}.options")
            : new MonitorOptions();
        monitors.Add(monitor);
    }

    private MonitorOptions ReadOptions(YamlNode node, string path)
    {
        var options = new MonitorOptions();
        if (node is not YamlMappingNode map)
        {
            Error(node, path, "must be a mapping");
            return options;
        }

        foreach ((string key, YamlNode value) in Fields(map, path, OptionFields))
        {
            string field = $"{path}.{key}";
            switch (key)
            {
                case "thresholds": options.Thresholds = ReadThresholds(value, field); break;
                case "evaluation_interval": options.EvaluationIntervalMs = Duration(value, field); break;
                case "on_arrival": options.OnArrival = Bool(value, field); break;
                case "evaluation_delay": options.EvaluationDelayMs = Duration(value, field); break;
                case "new_group_delay": options.NewGroupDelayMs = Duration(value, field); break;
                case "require_full_window": options.RequireFullWindow = Bool(value, field); break;
                case "notify_no_data": options.NotifyNoData = Bool(value, field); break;
                case "no_data_timeframe": options.NoDataTimeframeMs = Duration(value, field, DurationText.Minute); break;
                case "renotify_interval": options.RenotifyIntervalMs = Duration(value, field, DurationText.Minute); break;
                case "renotify_statuses": options.RenotifyStatuses.AddRange(StringList(value, field)); break;
                case "renotify_occurrences": options.RenotifyOccurrences = (int)Math.Clamp(NonNegativeInteger(value, field), 0, int.MaxValue); break;
                case "escalation_message": options.EscalationMessage = String(value, field); break;
                case "notify_by": options.NotifyBy.AddRange(StringList(value, field)); break;
                case "timeout_h": options.TimeoutMs = Hours(value, field); break;
                case "for": options.ForMs = Duration(value, field); break;
                case "keep_firing_for": options.KeepFiringForMs = Duration(value, field); break;
                case "flap_detection": options.FlapDetection = Bool(value, field); break;
                case "flap_low_percent": options.FlapLowPercent = Percent(value, field); break;
                case "flap_high_percent": options.FlapHighPercent = Percent(value, field); break;
                case "muted": options.Muted = Bool(value, field); break;
                case "check_thresholds": options.CheckThresholds = ReadCheckThresholds(value, field); break;
                case "on_missing_data": options.OnMissingData = String(value, field); break;
                case "evaluate_as_zero": options.EvaluateAsZero = Bool(value, field); break;
                case "group_retention_duration": options.GroupRetentionMs = Duration(value, field); break;
                default: throw new InvalidOperationException($"invariant: option field '{key}' is listed but not mapped");
            }
        }

        return options;
    }

    /// <summary><c>{critical, warning, ok, unknown}</c>: counts of consecutive check runs (Datadog service-check thresholds).</summary>
    private CheckThresholds ReadCheckThresholds(YamlNode node, string path)
    {
        var thresholds = new CheckThresholds();
        if (node is not YamlMappingNode map)
        {
            Error(node, path, "must be a mapping of critical, warning, ok, unknown (consecutive runs)");
            return thresholds;
        }

        foreach ((string key, YamlNode value) in Fields(map, path, CheckThresholdFields))
        {
            var count = (int)Math.Clamp(NonNegativeInteger(value, $"{path}.{key}"), 0, int.MaxValue);
            switch (key)
            {
                case "critical": thresholds.Critical = count; break;
                case "warning": thresholds.Warning = count; break;
                case "ok": thresholds.Ok = count; break;
                case "unknown": thresholds.Unknown = count; break;
                default: throw new InvalidOperationException($"invariant: check threshold field '{key}' is listed but not mapped");
            }
        }

        return thresholds;
    }

    private Thresholds ReadThresholds(YamlNode node, string path)
    {
        var thresholds = new Thresholds();
        if (node is not YamlMappingNode map)
        {
            Error(node, path, "must be a mapping of critical, warning, critical_recovery, warning_recovery");
            return thresholds;
        }

        foreach ((string key, YamlNode value) in Fields(map, path, ThresholdFields))
        {
            double number = Number(value, $"{path}.{key}");
            switch (key)
            {
                case "critical": thresholds.Critical = number; break;
                case "warning": thresholds.Warning = number; break;
                case "critical_recovery": thresholds.CriticalRecovery = number; break;
                case "warning_recovery": thresholds.WarningRecovery = number; break;
                default: throw new InvalidOperationException($"invariant: threshold field '{key}' is listed but not mapped");
            }
        }

        return thresholds;
    }

    /// <summary>The mapping's fields by name; unknown and non-scalar keys are reported, not returned.</summary>
    private Dictionary<string, YamlNode> Fields(YamlMappingNode map, string path, string[] known)
    {
        var fields = new Dictionary<string, YamlNode>(StringComparer.Ordinal);
        foreach ((YamlNode keyNode, YamlNode value) in map.Children)
        {
            string? key = (keyNode as YamlScalarNode)?.Value;
            if (key is null || !known.Contains(key))
            {
                Error(keyNode, path, $"unknown field '{key ?? keyNode.ToString()}' (allowed: {string.Join(", ", known)})");
                continue;
            }

            fields[key] = value;
            _positions[$"{path}.{key}"] = Position(value);
        }

        return fields;
    }

    private string RequiredString(Dictionary<string, YamlNode> fields, YamlNode map, string path, string key)
    {
        if (!fields.TryGetValue(key, out YamlNode? node))
        {
            Error(map, $"{path}.{key}", "is required");
            return "";
        }

        string value = String(node, $"{path}.{key}");
        if (value.Trim().Length == 0)
        {
            Error(node, $"{path}.{key}", "must not be empty");
        }

        return value;
    }

    private string String(YamlNode node, string field)
    {
        if (node is YamlScalarNode scalar)
        {
            return scalar.Value ?? "";
        }

        Error(node, field, "must be a string");
        return "";
    }

    private List<string> StringList(YamlNode node, string field)
    {
        var list = new List<string>();
        if (node is not YamlSequenceNode sequence)
        {
            Error(node, field, "must be a list of strings");
            return list;
        }

        for (int i = 0; i < sequence.Children.Count; i++)
        {
            list.Add(String(sequence.Children[i], $"{field}[{i}]"));
        }

        return list;
    }

    private bool Bool(YamlNode node, string field)
    {
        if (node is YamlScalarNode { Value: "true" or "True" or "TRUE" })
        {
            return true;
        }

        if (node is YamlScalarNode { Value: "false" or "False" or "FALSE" })
        {
            return false;
        }

        Error(node, field, $"must be true or false; got {Describe(node)}");
        return false;
    }

    private double Number(YamlNode node, string field)
    {
        if (node is YamlScalarNode { Value: { } text } scalar && scalar.Style is ScalarStyle.Plain or ScalarStyle.Any
            && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) && double.IsFinite(value))
        {
            return value;
        }

        Error(node, field, $"must be a finite number; got {Describe(node)}");
        return 0;
    }

    private long Integer(YamlNode node, string field)
    {
        if (node is YamlScalarNode { Value: { } text } scalar && scalar.Style is ScalarStyle.Plain or ScalarStyle.Any
            && long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long value))
        {
            return value;
        }

        Error(node, field, $"must be an integer; got {Describe(node)}");
        return 0;
    }

    private long NonNegativeInteger(YamlNode node, string field)
    {
        long value = Integer(node, field);
        if (value < 0)
        {
            Error(node, field, $"must not be negative; got {value}");
            return 0;
        }

        return value;
    }

    /// <summary>A duration; a plain number counts in <paramref name="bareUnitMs"/> (Datadog's unit of the field).</summary>
    private long Duration(YamlNode node, string field, long bareUnitMs = 1_000)
    {
        if (node is not YamlScalarNode { Value: { } text })
        {
            Error(node, field, $"must be {DurationText.ExpectedFor(bareUnitMs)}");
            return 0;
        }

        if (DurationText.TryParseMs(text, bareUnitMs, out long ms, out string error))
        {
            return ms;
        }

        Error(node, field, error);
        return 0;
    }

    private long Hours(YamlNode node, string field)
    {
        double hours = Number(node, field);
        if (hours < 0 || hours * 3_600_000 > DurationText.MaxMs)
        {
            Error(node, field, $"must be a number of hours between 0 and {DurationText.MaxMs / 3_600_000}; got {hours.ToString(CultureInfo.InvariantCulture)}");
            return 0;
        }

        return (long)Math.Round(hours * 3_600_000);
    }

    private double Percent(YamlNode node, string field)
    {
        double value = Number(node, field);
        if (value is < 0 or > 100)
        {
            Error(node, field, $"must be a percentage from 0 to 100; got {value.ToString(CultureInfo.InvariantCulture)}");
            return 0;
        }

        return value;
    }

    private static string Describe(YamlNode node) => node switch
    {
        YamlScalarNode scalar => $"\"{scalar.Value}\"",
        YamlSequenceNode => "a list",
        YamlMappingNode => "a mapping",
        _ => node.NodeType.ToString(),
    };

    private static (int Line, int Column) Position(YamlNode node) => ((int)node.Start.Line, (int)node.Start.Column);

    private void Error(YamlNode node, string field, string message) =>
        _errors.Add(new FileError(_file, (int)node.Start.Line, (int)node.Start.Column, field, message));

    private void Warn(YamlNode node, string field, string message) =>
        _warnings.Add(new FileError(_file, (int)node.Start.Line, (int)node.Start.Column, field, message));
}
