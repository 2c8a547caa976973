using Alerting.Cli.Arguments;

namespace Alerting.Cli.Commands;

/// <summary>
/// <c>alertctl completion bash|zsh</c>: prints a script that completes alertctl's command line in the shell.
/// The script asks alertctl itself through System.CommandLine's <c>[suggest:POSITION]</c> directive
/// (<c>alertctl "[suggest:9]" "monitors "</c> lists what may follow), so commands, options and
/// option values come from the same tree that parses them.
/// </summary>
internal static class CompletionCommand
{
    public const string Bash = """
        # alertctl completion for bash: source <(alertctl completion bash)
        _alertctl_complete() {
            local program="${COMP_WORDS[0]}"
            local line="${COMP_LINE:0:COMP_POINT}"
            local rest="${line#"$program"}"
            rest="${rest# }"
            local IFS=$'\n'
            local suggestions
            suggestions=$("$program" "[suggest:${#rest}]" "$rest" 2>/dev/null) || return 0
            mapfile -t COMPREPLY < <(compgen -W "$suggestions" -- "${COMP_WORDS[COMP_CWORD]}")
        }
        complete -o default -F _alertctl_complete alertctl

        """;

    public const string Zsh = """
        #compdef alertctl
        # alertctl completion for zsh: source <(alertctl completion zsh)
        _alertctl() {
            local program="${words[1]}"
            local line="${BUFFER[1,CURSOR]}"
            local rest="${line#"$program"}"
            rest="${rest# }"
            local -a suggestions
            suggestions=("${(@f)$("$program" "[suggest:${#rest}]" "$rest" 2>/dev/null)}")
            compadd -a suggestions
        }
        compdef _alertctl alertctl

        """;

    public static async Task<int> RunAsync(ParsedCommand command, CliContext context, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(context);
        string script = command.Positionals[0] switch
        {
            "bash" => Bash,
            "zsh" => Zsh,
            var other => throw new UsageException($"completion: no script for shell '{other}' (use bash or zsh)"),
        };
        await context.Output.WriteAsync(script.AsMemory(), cancellation);
        return ExitCodes.Ok;
    }
}
