using System.Globalization;
using Alerting.Benchmarks.StateMachine;
using BenchmarkDotNet.Running;

// `m6 [N] [hold] [compact]` measures memory per monitor and per series (not a BenchmarkDotNet run); anything else picks benchmarks.
if (args is ["m6", ..])
{
    MemoryFootprint.Run(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 100_000, hold: args.Contains("hold"), compact: args.Contains("compact"));
    return;
}

// `snapshot-pause [N] [runs]` times the apply-loop pause of a snapshot, stop-the-world and rebuilt in the background (issue 7 item 3).
if (args is ["snapshot-pause", ..])
{
    SnapshotPause.Run(
        args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 1_000_000,
        args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 3);
    return;
}

// `step-bounds [N ...]` times a scoped downtime, an unscoped-like sweep, a downtime naming a wide monitor, same-selection edits, a regrouping edit and a stepped monitor delete entry by entry (issue 7).
if (args is ["step-bounds", ..])
{
    StepBounds.Run(args.Length > 1 ? [.. args[1..].Select(a => int.Parse(a, CultureInfo.InvariantCulture))] : [10_000, 100_000]);
    return;
}

// `b5-cpu [calls]` times the formula and modifier B5 benchmarks in process CPU time per group evaluation (issue 13).
if (args is ["b5-cpu", ..])
{
    Alerting.Benchmarks.Evaluation.B5CpuTime.Run(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 20);
    return;
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
