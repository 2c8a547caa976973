namespace Alerting.Server.Tests.Faults;

/// <summary>
/// A fact that needs root (to mount a small tmpfs). CI runs as root, so there it always runs;
/// elsewhere it is reported as skipped with the reason, never passed without checking anything.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class RootFactAttribute : FactAttribute
{
    public RootFactAttribute()
    {
        if (!OperatingSystem.IsLinux() || Environment.UserName != "root")
        {
            Skip = "needs root on Linux to mount a small tmpfs (CI runs as root)";
        }
    }
}
