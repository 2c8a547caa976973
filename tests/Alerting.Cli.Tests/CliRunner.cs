using Spectre.Console;

namespace Alerting.Cli.Tests;

/// <summary>Runs alertctl in-process with captured streams, a given stdin and a given environment.</summary>
internal static class CliRunner
{
    public static async Task<CliResult> RunAsync(string[] args, string stdin = "", IReadOnlyDictionary<string, string>? environment = null, TextWriter? stdout = null, TextWriter? progressTerminal = null, CancellationToken cancellation = default)
    {
        var output = stdout ?? new StringWriter();
        var error = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(output),
        });
        console.Profile.Width = 400;
        var context = new CliContext(console, output, error, new StringReader(stdin), TimeProvider.System, name => environment?.GetValueOrDefault(name), progressTerminal);
        int exit = await CliApp.RunAsync(args, context, cancellation);
        return new CliResult(exit, output.ToString() ?? "", error.ToString());
    }
}
