namespace Alerting.Cli;

/// <summary>Process exit codes; scripts branch on these, so they are part of the CLI's contract.</summary>
internal static class ExitCodes
{
    public const int Ok = 0;

    /// <summary>The input (a monitor file, point lines) failed validation.</summary>
    public const int ValidationFailure = 1;

    /// <summary>Unknown command, unknown option, missing or malformed argument.</summary>
    public const int UsageError = 2;

    /// <summary>The server answered with an error status (printed with its detail).</summary>
    public const int ServerError = 3;

    /// <summary>No connection to the server could be made.</summary>
    public const int CannotConnect = 4;
}
