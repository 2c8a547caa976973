using Alerting.Protocol.Log;
using Monitor = Alerting.Protocol.Log.Monitor;

namespace Alerting.Cli.Files;

/// <summary>
/// The monitors read from a file, every problem found, and where each field was written
/// (keyed by path: <c>[0]</c>, <c>[0].query</c>, <c>[0].options.thresholds.critical</c>).
/// The monitors are only usable when <see cref="Errors"/> is empty.
/// </summary>
internal sealed record MonitorFileResult(
    string File,
    IReadOnlyList<Monitor> Monitors,
    IReadOnlyList<FileError> Errors,
    IReadOnlyDictionary<string, (int Line, int Column)> Positions)
{
    /// <summary>Option names of the proto (what the server reports) and how the file spells them.</summary>
    private static readonly Dictionary<string, string> FileNames = new(StringComparer.Ordinal)
    {
        ["evaluation_interval_ms"] = "evaluation_interval",
        ["evaluation_delay_ms"] = "evaluation_delay",
        ["new_group_delay_ms"] = "new_group_delay",
        ["no_data_timeframe_ms"] = "no_data_timeframe",
        ["renotify_interval_ms"] = "renotify_interval",
        ["timeout_ms"] = "timeout_h",
        ["for_ms"] = "for",
        ["keep_firing_for_ms"] = "keep_firing_for",
    };

    public bool IsValid => Errors.Count == 0;

    /// <summary>Datadog exports: each monitor's Datadog id, by position in <see cref="Monitors"/> (what the file's composites reference).</summary>
    public IReadOnlyDictionary<int, string> SourceIds { get; init; } = new Dictionary<int, string>();

    /// <summary>Fields the engine does not support yet (Datadog exports): reported, ignored, errors under <c>--strict</c>.</summary>
    public IReadOnlyList<FileError> Warnings { get; init; } = [];

    /// <summary>The file's name of a dotted proto field path: <c>options.no_data_timeframe_ms</c> → <c>options.no_data_timeframe</c>.</summary>
    public static string FileField(string protoField)
    {
        ArgumentNullException.ThrowIfNull(protoField);
        int dot = protoField.LastIndexOf('.');
        string last = protoField[(dot + 1)..];
        return FileNames.TryGetValue(last, out string? name) ? protoField[..(dot + 1)] + name : protoField;
    }

    /// <summary>
    /// An error the server reported for monitor <paramref name="index"/>'s <paramref name="field"/>
    /// (a dotted proto path), placed at the field in the file, or at its nearest enclosing field.
    /// </summary>
    public FileError ServerError(int index, string field, string message)
    {
        ArgumentNullException.ThrowIfNull(field);
        field = FileField(field);
        string path = field.Length == 0 ? $"[{index}]" : $"[{index}].{field}";
        for (string probe = path; ; probe = probe[..probe.LastIndexOf('.')])
        {
            if (Positions.TryGetValue(probe, out (int Line, int Column) at))
            {
                return new FileError(File, at.Line, at.Column, path, message);
            }

            if (!probe.Contains('.', StringComparison.Ordinal))
            {
                return new FileError(File, 0, 0, path, message);
            }
        }
    }
}
