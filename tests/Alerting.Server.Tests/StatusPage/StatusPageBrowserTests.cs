using Alerting.Protocol.Log;
using Alerting.Protocol.V1;
using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;
using OpenQA.Selenium.Support.UI;
using Xunit.Abstractions;
using Monitor = Alerting.Protocol.Log.Monitor;

namespace Alerting.Server.Tests.StatusPage;

/// <summary>The status page in a real headless chromium, loaded over loopback from a real server after a monitor fired.</summary>
public sealed class StatusPageBrowserTests(ITestOutputHelper output)
{
    /// <summary>A name that would become markup if the page did not encode it.</summary>
    private const string MarkupName = "cpu <b>high</b> & \"hot\"";

    [BrowserFact]
    public async Task A_fired_monitor_shows_its_alert_group_escaped_name_transition_and_node_role()
    {
        await using var server = await TestServer.StartAsync();
        using var timeout = new CancellationTokenSource(TestServer.Patience);
        var call = TestServer.Call(timeout.Token);
        var monitor = new Monitor
        {
            Name = MarkupName,
            Type = "metric",
            Query = "avg(last_1m):avg:cpu{*} by {host} > 90",
            Options = new MonitorOptions { NewGroupDelayMs = 0, OnArrival = true, Thresholds = new Thresholds { Critical = 90 } },
        };
        var id = (await server.Monitors.UpsertAsync(new UpsertMonitorRequest { Monitor = monitor }, call)).Monitor.Id;
        using var subscription = server.Alerts.Subscribe(new SubscribeRequest { FromIndex = 0 }, call);
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        await server.Ingest.WriteBatchAsync(
            new WriteRequest
            {
                BatchId = 1,
                Points =
                {
                    new Point { Metric = "cpu", Tags = { "host:a" }, UnixMs = now, Value = 97 },
                    new Point { Metric = "cpu", Tags = { "host:<i>b</i>" }, UnixMs = now, Value = 10 },
                },
            },
            call);
        while (await subscription.ResponseStream.MoveNext(timeout.Token))
        {
            var e = subscription.ResponseStream.Current;
            if (e.MonitorId == id && e.GroupKey == "host:a" && e.NewState == "ALERT")
            {
                break;
            }
        }

        using var driver = StartBrowser();
        driver.Navigate().GoToUrl(new Uri(server.Host.HttpAddress, "/"));

        Assert.Equal("Alerting status", driver.Title);
        Assert.Equal("primary", driver.FindElement(By.Id("node-role")).Text);
        var section = driver.FindElement(By.CssSelector($"tbody.monitor[data-monitor-id='{id}']"));
        var name = section.FindElement(By.CssSelector(".monitor-name"));
        Assert.Equal(MarkupName, name.Text);
        Assert.Empty(name.FindElements(By.TagName("b")));
        var alert = section.FindElement(By.CssSelector("tr.group[data-group='host:a']"));
        Assert.Equal("ALERT", alert.GetAttribute("data-state"));
        Assert.Equal("ALERT", alert.FindElement(By.CssSelector(".group-state")).Text);
        var ok = section.FindElement(By.CssSelector("tr.group[data-group='host:<i>b</i>']"));
        Assert.Equal("OK", ok.FindElement(By.CssSelector(".group-state")).Text);
        Assert.Equal("host:<i>b</i>", ok.FindElement(By.CssSelector(".group-key")).Text);
        var transition = driver.FindElement(By.CssSelector($"#transitions tr.transition[data-monitor-id='{id}']"));
        Assert.Contains("OK → ALERT", transition.FindElement(By.CssSelector(".change")).Text, StringComparison.Ordinal);
        Assert.Contains(MarkupName, transition.Text, StringComparison.Ordinal);

        // The filter link keeps the firing group and drops the OK one.
        driver.FindElement(By.LinkText("alert")).Click();
        var filtered = driver.FindElement(By.CssSelector($"tbody.monitor[data-monitor-id='{id}']"));
        Assert.Equal(["host:a"], filtered.FindElements(By.CssSelector("tr.group")).Select(r => r.GetAttribute("data-group") ?? "").ToArray());

        // The firing group's link opens its view: the transition history and the chart of its
        // value against the critical threshold, the value's dot above the threshold's line.
        filtered.FindElement(By.CssSelector("tr.group[data-group='host:a'] .group-key a")).Click();
        Assert.Equal("ALERT", driver.FindElement(By.Id("group-state")).Text);
        var chart = driver.FindElement(By.Id("group-chart"));
        Assert.True(chart.Displayed, "the chart is rendered visibly");
        var point = chart.FindElement(By.CssSelector("circle.point-ALERT"));
        Assert.Equal("97", point.GetAttribute("data-value"));
        var critical = chart.FindElement(By.CssSelector("line.threshold-critical"));
        Assert.True(point.Location.Y < critical.Location.Y, $"the value 97 is drawn above the threshold 90 (dot at y {point.Location.Y}, line at y {critical.Location.Y})");
        Assert.Contains("OK → ALERT", driver.FindElement(By.CssSelector("#history tr.transition .change")).Text, StringComparison.Ordinal);
        Assert.Equal(MarkupName, driver.FindElement(By.TagName("h1")).Text);
    }

    [BrowserFact]
    public async Task An_alert_appears_on_an_open_page_without_a_reload()
    {
        await using var server = await TestServer.StartAsync();
        using var timeout = new CancellationTokenSource(TestServer.Patience);
        var call = TestServer.Call(timeout.Token);
        var monitor = new Monitor
        {
            Name = "disk",
            Type = "metric",
            Query = "max(last_1m):max:disk{*} by {host} > 90",
            Options = new MonitorOptions { NewGroupDelayMs = 0, OnArrival = true, Thresholds = new Thresholds { Critical = 90 } },
        };
        var id = (await server.Monitors.UpsertAsync(new UpsertMonitorRequest { Monitor = monitor }, call)).Monitor.Id;
        await server.Ingest.WriteBatchAsync(new WriteRequest { BatchId = 1, Points = { Disk(40) } }, call);

        using var driver = StartBrowser();
        driver.Navigate().GoToUrl(new Uri(server.Host.HttpAddress, "/"));
        var row = driver.FindElement(By.CssSelector($"tbody.monitor[data-monitor-id='{id}'] tr.group[data-group='host:a']"));
        Assert.Equal("OK", row.GetAttribute("data-state"));
        // A reload would make a new window object and lose this.
        driver.ExecuteScript("window.loadedOnce = 42;");

        await server.Ingest.WriteBatchAsync(new WriteRequest { BatchId = 2, Points = { Disk(97) } }, call);
        var acknowledged = System.Diagnostics.Stopwatch.StartNew();
        new WebDriverWait(driver, TestServer.Patience).Until(_ => row.GetAttribute("data-state") == "ALERT");
        output.WriteLine($"the alert showed {acknowledged.ElapsedMilliseconds} ms after the write's ack");

        Assert.Equal("ALERT", row.FindElement(By.CssSelector(".group-state")).Text);
        Assert.Equal(42L, driver.ExecuteScript("return window.loadedOnce;"));
        var newest = driver.FindElement(By.CssSelector("#transitions tr.transition"));
        Assert.Equal(id, newest.GetAttribute("data-monitor-id"));
        Assert.Equal("OK → ALERT", newest.FindElement(By.CssSelector(".change")).Text);
    }

    private static Point Disk(double value) =>
        new() { Metric = "disk", Tags = { "host:a" }, UnixMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), Value = value };

    private static ChromeDriver StartBrowser()
    {
        var service = ChromeDriverService.CreateDefaultService(Path.GetDirectoryName(BrowserFactAttribute.ChromeDriver)!, Path.GetFileName(BrowserFactAttribute.ChromeDriver));
        service.HideCommandPromptWindow = true;
        service.SuppressInitialDiagnosticInformation = true;
        var options = new ChromeOptions { BinaryLocation = BrowserFactAttribute.Chromium };
        // --no-sandbox: CI runs as root, where chromium refuses its sandbox.
        options.AddArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--no-first-run", "--disable-extensions", "--disable-background-networking");
        return new ChromeDriver(service, options, TestServer.Patience);
    }
}
