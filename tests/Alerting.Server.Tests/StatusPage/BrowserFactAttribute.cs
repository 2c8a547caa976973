namespace Alerting.Server.Tests.StatusPage;

/// <summary>
/// A test that drives Debian's chromium through chromium-driver; reported skipped, with the reason,
/// where they are not installed (CI installs them: install-chromium.sh, run by .ci/run).
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class BrowserFactAttribute : FactAttribute
{
    public const string Chromium = "/usr/bin/chromium";

    public const string ChromeDriver = "/usr/bin/chromedriver";

    public BrowserFactAttribute()
    {
        if (!File.Exists(Chromium) || !File.Exists(ChromeDriver))
        {
            Skip = $"needs {Chromium} and {ChromeDriver} (Debian packages chromium and chromium-driver; tests/Alerting.Server.Tests/StatusPage/install-chromium.sh installs them)";
        }
    }
}
