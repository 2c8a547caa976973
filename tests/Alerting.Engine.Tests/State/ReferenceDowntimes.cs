using System.Globalization;
using Alerting.Protocol.Log;

namespace Alerting.Engine.Tests.State;

/// <summary>
/// Naive downtime coverage straight from the protobuf fields: enumerates every calendar day or every
/// interval occurrence with DateTime arithmetic. Independent of <see cref="Alerting.Engine.State.DowntimeModel"/>.
/// </summary>
internal static class ReferenceDowntimes
{
    public static bool Covers(Downtime d, string monitorId, string group, string[] tags, long nowMs)
    {
        if (d.MonitorId != "" && d.MonitorId != monitorId)
        {
            return false;
        }

        if (d.Group != "" && d.Group != group)
        {
            return false;
        }

        if (!d.Scope.All(tags.Contains))
        {
            return false;
        }

        long end = d.EndUnixMs == 0 ? long.MaxValue : d.EndUnixMs;
        if (nowMs < d.StartUnixMs || nowMs >= end)
        {
            return false;
        }

        var words = d.Recurrence.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (words.Length == 0)
        {
            return true;
        }

        var kv = words.Skip(1).Select(w => w.Split('=')).ToDictionary(p => p[0], p => p[1]);
        var now = DateTime.UnixEpoch.AddMilliseconds(nowMs);
        if (words[0] == "weekly")
        {
            var days = kv["days"].Split(',').Select(DayOf).ToHashSet();
            var startOfDay = kv.TryGetValue("start", out var s) ? TimeSpan.ParseExact(s, @"hh\:mm", CultureInfo.InvariantCulture) : TimeSpan.Zero;
            var duration = TimeSpan.FromMilliseconds(DurationMs(kv["duration"]));
            var firstDay = DateTime.UnixEpoch.AddMilliseconds(d.StartUnixMs).Date.AddDays(-7);
            for (var day = firstDay; day <= now.Date; day = day.AddDays(1))
            {
                var windowStart = day + startOfDay;
                if (days.Contains(day.DayOfWeek) && windowStart <= now && now < windowStart + duration)
                {
                    return true;
                }
            }

            return false;
        }

        long every = DurationMs(kv["every"]);
        long length = DurationMs(kv["duration"]);
        for (long occurrence = d.StartUnixMs; occurrence <= nowMs; occurrence += every)
        {
            if (nowMs < occurrence + length)
            {
                return true;
            }
        }

        return false;
    }

    private static DayOfWeek DayOf(string name) =>
        Enum.GetValues<DayOfWeek>().Single(d => d.ToString()[..3].Equals(name, StringComparison.OrdinalIgnoreCase));

    private static long DurationMs(string text)
    {
        string number = new(text.TakeWhile(char.IsDigit).ToArray());
        string unit = text[number.Length..];
        long n = long.Parse(number, CultureInfo.InvariantCulture);
        return unit switch
        {
            "ms" => n,
            "s" => n * 1000,
            "m" => n * 60 * 1000,
            "h" => n * 60 * 60 * 1000,
            "d" => n * 24 * 60 * 60 * 1000,
            _ => throw new ArgumentException(text),
        };
    }
}
