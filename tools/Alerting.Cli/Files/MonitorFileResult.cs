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
    public bool IsValid => Errors.Count == 0;

    /// <summary>
    /// An error the server reported for monitor <paramref name="index"/>'s <paramref name="field"/>
    /// (a dotted proto path), placed at the field in the file, or at its nearest enclosing field.
    /// </summary>
    public FileError ServerError(int index, string field, string message)
    {
        ArgumentNullException.ThrowIfNull(field);
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
