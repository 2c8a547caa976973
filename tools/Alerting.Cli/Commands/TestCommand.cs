using Alerting.Engine;
using Alerting.Engine.Monitors;
using Alerting.Cli.Arguments;
using Alerting.Cli.Files;
using Alerting.Engine.State;
using Alerting.Engine.StateMachine;
using Alerting.Protocol.Log;
using Monitor = Alerting.Protocol.Log.Monitor;

namespace Alerting.Cli.Commands;

/// <summary>
/// <c>alertctl test FILE...</c>: runs each monitor test file (<see cref="MonitorTestFile"/>) on the
/// engine's own state machine, in process, on logical time (no server, no wall clock), and compares
/// the state changes with the expected ones. Prints a diff per failing file; exit 1 when any fails.
/// </summary>
internal static class TestCommand
{
    /// <summary>Logical time of offset 0 in every test: 2027-01-15T08:00:00Z, a fixed point so runs repeat exactly.</summary>
    public const long OriginUnixMs = 1_800_000_000_000;

    // Messages in the diff are quoted as JSON strings, with only quotes, backslashes and controls escaped.
    private static readonly System.Text.Json.JsonSerializerOptions QuotedText = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static async Task<int> RunAsync(ParsedCommand command, CliContext context, CancellationToken cancellation)
    {
        int failed = 0;
        foreach (string path in command.Positionals)
        {
            cancellation.ThrowIfCancellationRequested();
            if (!File.Exists(path))
            {
                await context.Error.WriteLineAsync($"{path}: file not found");
                failed++;
                continue;
            }

            MonitorTestFile test = MonitorTestFile.Parse(path, await File.ReadAllTextAsync(path, cancellation));
            if (test.Errors.Count > 0)
            {
                foreach (FileError error in test.Errors)
                {
                    await context.Error.WriteLineAsync(error.ToString());
                }

                failed++;
                continue;
            }

            Outcome outcome = Run(test);
            if (outcome.Error is not null)
            {
                await context.Error.WriteLineAsync($"{path}: {outcome.Error}");
                failed++;
                continue;
            }

            (List<string> missing, List<string> unexpected) = Compare(test, outcome.Changes);
            if (missing.Count == 0 && unexpected.Count == 0)
            {
                await context.Output.WriteLineAsync($"PASS {path} ({outcome.Changes.Count} state change(s))");
                continue;
            }

            failed++;
            await context.Output.WriteLineAsync($"FAIL {path}");
            foreach (string line in missing)
            {
                await context.Output.WriteLineAsync($"  - {line}   (expected, did not happen)");
            }

            foreach (string line in unexpected)
            {
                await context.Output.WriteLineAsync($"  + {line}   (happened, not expected)");
            }
        }

        return failed == 0 ? ExitCodes.Ok : ExitCodes.ValidationFailure;
    }

    /// <summary>One state change of a run, at its offset from the start, with the message it rendered.</summary>
    internal sealed record Change(long AtMs, string Monitor, string Group, string State, string Message = "")
    {
        public override string ToString() => Line(AtMs, Monitor, Group, State);
    }

    /// <summary>The state changes of one test run in order, or why the run could not start.</summary>
    internal sealed record Outcome(IReadOnlyList<Change> Changes, string? Error);

    /// <summary>
    /// Pairs each expected change with the first unpaired actual one of the same monitor, group and
    /// state within the step that starts at its <c>at</c> (a monitor is evaluated at a fixed phase
    /// within its interval, so the exact millisecond is not the test's business). Returns the
    /// expected changes left unpaired and the actual ones left unpaired.
    /// </summary>
    internal static (List<string> Missing, List<string> Unexpected) Compare(MonitorTestFile test, IReadOnlyList<Change> actual)
    {
        ArgumentNullException.ThrowIfNull(test);
        ArgumentNullException.ThrowIfNull(actual);
        var paired = new bool[actual.Count];
        var missing = new List<string>();
        foreach (MonitorTestFile.Expected e in test.ExpectedChanges.OrderBy(e => e.AtMs))
        {
            int match = -1;
            for (int i = 0; i < actual.Count && match < 0; i++)
            {
                Change a = actual[i];
                if (!paired[i] && a.Monitor == e.Monitor && a.Group == e.Group && a.State == e.State && a.AtMs >= e.AtMs && a.AtMs < e.AtMs + test.StepMs
                    && (e.Message is null || e.Message == a.Message))
                {
                    match = i;
                }
            }

            if (match < 0)
            {
                missing.Add(Line(e.AtMs, e.Monitor, e.Group, e.State) + MessageSuffix(e.Message));
            }
            else
            {
                paired[match] = true;
            }
        }

        // When the file checks messages, an unpaired change shows the message it rendered, to compare with the expected one.
        bool checksMessages = test.ExpectedChanges.Any(e => e.Message is not null);
        return (missing, actual.Where((_, i) => !paired[i]).Select(a => a + (checksMessages ? MessageSuffix(a.Message) : "")).ToList());
    }

    private static string MessageSuffix(string? message) =>
        message is null ? "" : " message " + System.Text.Json.JsonSerializer.Serialize(message, QuotedText);

    internal static Outcome Run(MonitorTestFile test)
    {
        ArgumentNullException.ThrowIfNull(test);
        var events = new List<TransitionEvent>();
        var applier = new LogApplier(new EngineState(), batch => events.AddRange(batch));
        long index = 0;
        ApplyResult Apply(LogEntry entry) => applier.Apply(++index, 1, entry);

        var points = new List<TimedPoint>();
        foreach (MonitorTestFile.Series series in test.InputSeries)
        {
            for (int step = 0; step < series.Values.Count; step++)
            {
                if (series.Values[step] is double value)
                {
                    points.Add(new TimedPoint(OriginUnixMs + (step * test.StepMs), series.Metric, series.Tags, value, series.Type));
                }
            }
        }

        using IEnumerator<LogEntry> run = LogicalTimeRun.Entries(OriginUnixMs, OriginUnixMs + test.RunForMs, points).GetEnumerator();
        Invariant.Check(run.MoveNext() && run.Current.BodyCase == LogEntry.BodyOneofCase.Tick, "a logical-time run starts with the tick of its origin");
        Apply(run.Current);
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        var idsByName = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int i = 0; i < test.Monitors.Count; i++)
        {
            idsByName.TryAdd(test.Monitors[i].Name, $"test-{i + 1}");
        }

        // Composites after the monitors they use; they name their members by name (quoted when not a bare id).
        foreach (int i in Enumerable.Range(0, test.Monitors.Count).OrderBy(i => test.Monitors[i].Type == "composite" ? 1 : 0))
        {
            // As the monitors API does: options left out get Datadog's defaults (new_group_delay 60 s).
            Monitor monitor = MonitorDefaults.Apply(test.Monitors[i]).Clone();
            monitor.Id = $"test-{i + 1}";
            if (monitor.Type == "composite")
            {
                monitor.Query = CompositeReferences.Rewrite(monitor.Query, idsByName.GetValueOrDefault);
            }

            ApplyResult result = Apply(new LogEntry { MonitorUpserted = new MonitorUpserted { Monitor = monitor } });
            if (result.Monitor == MonitorOutcome.Rejected)
            {
                return new Outcome([], $"monitors[{i}] ({monitor.Name}): {result.Error}");
            }

            names[monitor.Id] = monitor.Name;
        }

        while (run.MoveNext())
        {
            ApplyResult result = Apply(run.Current);
            if (result.RejectedTotal > 0)
            {
                return new Outcome([], $"the engine refused {result.RejectedTotal} point(s) at {Offset(applier.State.LogicalTimeMs - OriginUnixMs)}");
            }
        }

        // A monitor without `by` has the one group "*"; the file writes it empty or leaves it out. The
        // rendered messages are read from the transition history, which holds every event of the run.
        var items = new List<TransitionHistory.HistoryItem>();
        _ = applier.State.History.CopyFrom(0, items, int.MaxValue, out _);
        Invariant.Check(items.Count == events.Count, "the transition history holds every event of a test run");
        return new Outcome(
            items.Where(i => i.Event.ChangesState)
                .Select(i => new Change(i.Event.TimeMs - OriginUnixMs, names[i.Event.MonitorId], i.Event.GroupKey == "*" ? string.Empty : i.Event.GroupKey, StateName(i.Event.Next), i.Message))
                .ToList(),
            null);
    }

    private static string Line(long atMs, string monitor, string group, string state) =>
        $"at {Offset(atMs)}: {monitor} {(group.Length == 0 ? "(one group)" : group)} -> {state}";

    private static string Offset(long ms) => ms % 60_000 == 0 ? $"{ms / 60_000}m" : ms % 1_000 == 0 ? $"{ms / 1_000}s" : $"{ms}ms";

    internal static string StateName(AlertState state) => state switch
    {
        AlertState.Ok => "OK",
        AlertState.Warn => "WARN",
        AlertState.Alert => "ALERT",
        AlertState.NoData => "NO_DATA",
        _ => state.ToString(),
    };
}
