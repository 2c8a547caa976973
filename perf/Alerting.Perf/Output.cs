using System.Diagnostics;
using Spectre.Console;

namespace Alerting.Perf;

/// <summary>
/// Where the harness writes: live progress (a Spectre.Console status line on a terminal, plain
/// lines at most once a second otherwise), the final table, and notes.
/// </summary>
internal sealed class Output(IAnsiConsole console, bool interactive)
{
    public IAnsiConsole Console => console;

    public static Output For(TextWriter? writer)
    {
        if (writer is null)
        {
            var interactive = !System.Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;
            if (System.Console.IsOutputRedirected)
            {
                // A log file has no width; 80 columns would wrap every figure's name.
                AnsiConsole.Profile.Width = 160;
            }

            return new Output(AnsiConsole.Console, interactive);
        }

        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(writer),
        });
        console.Profile.Width = 160;
        return new Output(console, interactive: false);
    }

    public void Line(string text) => console.WriteLine(text);

    /// <summary>Runs <paramref name="work"/> with a progress callback that shows its latest status.</summary>
    public async Task<T> WithProgressAsync<T>(string title, Func<Action<string>, Task<T>> work)
    {
        if (interactive)
        {
            return await console.Status().StartAsync(Markup.Escape(title), async context =>
                await work(status => context.Status(Markup.Escape(title + ": " + status))).ConfigureAwait(false)).ConfigureAwait(false);
        }

        console.WriteLine(title);
        var last = Stopwatch.GetTimestamp() - Stopwatch.Frequency;
        var gate = new Lock();
        return await work(status =>
        {
            lock (gate)
            {
                if (Stopwatch.GetElapsedTime(last) >= TimeSpan.FromSeconds(1))
                {
                    last = Stopwatch.GetTimestamp();
                    console.WriteLine("  " + status);
                }
            }
        }).ConfigureAwait(false);
    }

    public void Table(RunReport report)
    {
        var table = new Table().Title($"commit {report.Commit}, {report.Cores} cores, {report.MemoryBytes / (1024 * 1024)} MiB");
        table.AddColumns("scenario", "figure", "value", "bar", "holds");
        foreach (var scenario in report.Scenarios)
        {
            foreach (var figure in scenario.Figures)
            {
                table.AddRow(
                    Markup.Escape(scenario.Scenario),
                    Markup.Escape(figure.Name),
                    Markup.Escape(Format.Number(figure.Value, figure.Unit)),
                    Markup.Escape(figure.Bar),
                    figure.Holds switch { true => "[green]yes[/]", false => "[red]no[/]", null => "" });
            }
        }

        console.Write(table);
        var checks = new Table().Title("checks (a failed check fails the run)");
        checks.AddColumns("scenario", "check", "result", "detail");
        foreach (var scenario in report.Scenarios)
        {
            foreach (var check in scenario.Checks)
            {
                checks.AddRow(Markup.Escape(scenario.Scenario), Markup.Escape(check.Name), check.Passed ? "[green]ok[/]" : "[red]FAILED[/]", Markup.Escape(check.Detail));
            }
        }

        console.Write(checks);
        foreach (var scenario in report.Scenarios)
        {
            foreach (var note in scenario.Notes)
            {
                console.WriteLine($"note ({scenario.Scenario}): {note}");
            }
        }
    }
}
