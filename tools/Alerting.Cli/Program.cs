using Alerting.Cli;
using Spectre.Console;

using var cancellation = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    // The first Ctrl+C ends streaming commands cleanly; a second one kills the process.
    e.Cancel = !cancellation.IsCancellationRequested;
    cancellation.Cancel();
};

if (Console.IsOutputRedirected)
{
    // Spectre wraps to the terminal width, 80 columns when there is none; a pipe gets whole lines.
    AnsiConsole.Console.Profile.Width = CliContext.RedirectedOutputWidth;
}

// Progress of long operations goes to stderr, and only when it is a terminal.
var context = new CliContext(AnsiConsole.Console, Console.Out, Console.Error, Console.In, TimeProvider.System, Environment.GetEnvironmentVariable, Console.IsErrorRedirected ? null : Console.Error);
return await CliApp.RunAsync(args, context, cancellation.Token);
