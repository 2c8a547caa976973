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

    /// <summary>Logical time advances by ticks of this length, as the primary's clock would publish them.</summary>
    public const long TickMs = 1_000;

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

    /// <summary>One state change of a run, at its offset from the start.</summary>
    internal sealed record Change(long AtMs, string Monitor, string Group, string State)
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
                if (!paired[i] && a.Monitor == e.Monitor && a.Group == e.Group && a.State == e.State && a.AtMs >= e.AtMs && a.AtMs < e.AtMs + test.StepMs)
                {
                    match = i;
                }
            }

            if (match < 0)
            {
                missing.Add(Line(e.AtMs, e.Monitor, e.Group, e.State));
            }
            else
            {
                paired[match] = true;
            }
        }

        return (missing, actual.Where((_, i) => !paired[i]).Select(a => a.ToString()).ToList());
    }

    internal static Outcome Run(MonitorTestFile test)
    {
        ArgumentNullException.ThrowIfNull(test);
        var events = new List<TransitionEvent>();
        var applier = new LogApplier(new EngineState(), batch => events.AddRange(batch));
        long index = 0;
        ApplyResult Apply(LogEntry entry) => applier.Apply(++index, 1, entry);

        Apply(new LogEntry { Tick = new Tick { UnixMs = OriginUnixMs } });
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int i = 0; i < test.Monitors.Count; i++)
        {
            // As the monitors API does: options left out get Datadog's defaults (new_group_delay 60 s).
            Monitor monitor = MonitorDefaults.Apply(test.Monitors[i]).Clone();
            monitor.Id = $"test-{i + 1}";
            ApplyResult result = Apply(new LogEntry { MonitorUpserted = new MonitorUpserted { Monitor = monitor } });
            if (result.Monitor == MonitorOutcome.Rejected)
            {
                return new Outcome([], $"monitors[{i}] ({monitor.Name}): {result.Error}");
            }

            names[monitor.Id] = monitor.Name;
        }

        for (long offset = 0; offset <= test.RunForMs; offset += TickMs)
        {
            if (offset > 0)
            {
                Apply(new LogEntry { Tick = new Tick { UnixMs = OriginUnixMs + offset } });
            }

            // Points stamped at this step arrive once logical time reaches them, as from a live client.
            long stepEnd = offset + TickMs;
            var batch = new PointsBatch();
            foreach (MonitorTestFile.Series series in test.InputSeries)
            {
                long first = (offset + test.StepMs - 1) / test.StepMs;
                for (long step = first; step * test.StepMs < stepEnd && step < series.Values.Count; step++)
                {
                    if (series.Values[(int)step] is double value)
                    {
                        var points = new SeriesPoints { Metric = series.Metric, Tags = { series.Tags }, Type = series.Type };
                        points.UnixMs.Add(OriginUnixMs + (step * test.StepMs));
                        points.Values.Add(value);
                        batch.Series.Add(points);
                    }
                }
            }

            if (batch.Series.Count > 0)
            {
                ApplyResult result = Apply(new LogEntry { Points = batch });
                if (result.RejectedTotal > 0)
                {
                    return new Outcome([], $"the engine refused {result.RejectedTotal} point(s) at {Offset(offset)}");
                }
            }
        }

        // A monitor without `by` has the one group "*"; the file writes it empty or leaves it out.
        return new Outcome(events.Where(e => e.ChangesState).Select(e => new Change(e.TimeMs - OriginUnixMs, names[e.MonitorId], e.GroupKey == "*" ? string.Empty : e.GroupKey, StateName(e.Next))).ToList(), null);
    }

    private static string Line(long atMs, string monitor, string group, string state) =>
        $"at {Offset(atMs)}: {monitor} {(group.Length == 0 ? "(one group)" : group)} -> {state}";

    private static string Offset(long ms) => ms % 60_000 == 0 ? $"{ms / 60_000}m" : ms % 1_000 == 0 ? $"{ms / 1_000}s" : $"{ms}ms";

    private static string StateName(AlertState state) => state switch
    {
        AlertState.Ok => "OK",
        AlertState.Warn => "WARN",
        AlertState.Alert => "ALERT",
        AlertState.NoData => "NO_DATA",
        _ => state.ToString(),
    };
}
