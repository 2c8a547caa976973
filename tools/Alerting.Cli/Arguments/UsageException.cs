namespace Alerting.Cli.Arguments;

/// <summary>The command line is wrong; the process ends with <see cref="ExitCodes.UsageError"/>.</summary>
internal sealed class UsageException(string message) : Exception(message);
