using System.Globalization;
using Alerting.Benchmarks.StateMachine;
using BenchmarkDotNet.Running;

// `m6 [N]` measures memory per monitor and per series (not a BenchmarkDotNet run); anything else picks benchmarks.
if (args is ["m6", ..])
{
    MemoryFootprint.Run(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 100_000);
    return;
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
