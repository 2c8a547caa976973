using System.Text;
using Alerting.Cli.Arguments;

namespace Alerting.Cli.Commands;

/// <summary>
/// What <c>--help</c> adds below the help System.CommandLine generates: the full usage line of each
/// command (all of them, or those under the command asked about), value formats and exit codes.
/// </summary>
internal static class HelpText
{
    /// <summary>The commands whose path starts with <paramref name="words"/> (all when empty or when nothing matches).</summary>
    public static string For(IReadOnlyList<string> words)
    {
        ArgumentNullException.ThrowIfNull(words);
        string prefix = string.Join(' ', words);
        var matching = CommandTable.All.Where(c => prefix.Length > 0 && (c.Path == prefix || c.Path.StartsWith(prefix + " ", StringComparison.Ordinal))).ToList();
        bool all = matching.Count == 0;
        var text = new StringBuilder();
        text.AppendLine();
        text.AppendLine("Usage lines:");
        foreach (CommandSpec command in all ? CommandTable.All : matching)
        {
            text.AppendLine($"  {command.Usage}");
            text.AppendLine($"      {command.Summary}");
        }

        text.AppendLine();
        text.AppendLine($"--server URL and --api-key KEY go before or after the command (env {CliContext.ServerVariable}, {CliContext.ApiKeyVariable}; default {CliContext.DefaultServer}).");
        text.AppendLine("Every command with --json also takes --output table|json|yaml (json: one object per line, proto field names;");
        text.AppendLine("yaml: each object as a YAML document).");
        text.AppendLine("Durations: 500ms, 30s, 5m, 1h, 1d, or a plain number in Datadog's unit (minutes for renotify_interval");
        text.AppendLine("and no_data_timeframe, hours for timeout_h, seconds otherwise). FILE '-' is stdin.");
        text.AppendLine("Monitor files may be Datadog exports (/api/v1/monitor JSON, one object or a list); fields not supported");
        text.AppendLine("yet give one warning each, or an error with --strict.");
        text.AppendLine("Times (--start, --end): now, Unix milliseconds, or ISO 8601 (UTC unless an offset is given).");
        text.AppendLine("Shell completion: source <(alertctl completion bash), or alertctl completion zsh in zsh.");
        text.AppendLine();
        text.AppendLine("Exit codes:");
        text.AppendLine($"  {ExitCodes.Ok}  ok");
        text.AppendLine($"  {ExitCodes.ValidationFailure}  validation failure (monitor file invalid or unreadable, malformed point lines)");
        text.AppendLine($"  {ExitCodes.UsageError}  usage error (unknown command or option, missing argument)");
        text.AppendLine($"  {ExitCodes.ServerError}  server error (status code and detail are printed)");
        text.AppendLine($"  {ExitCodes.CannotConnect}  cannot connect to the server");
        return text.ToString();
    }
}
