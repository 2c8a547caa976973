using System.Globalization;

namespace Alerting.Engine.State;

/// <summary>
/// The parsed <c>recurrence</c> of a downtime. Text forms (tokens separated by spaces, UTC):
/// <list type="bullet">
/// <item><c>""</c> — one-off.</item>
/// <item><c>weekly days=mon,wed,fri start=22:30 duration=90m</c> — <c>start</c> defaults to 00:00; duration at most 7 days.</item>
/// <item><c>interval every=1d duration=2h</c> — windows start at the downtime's start and every period after; 0 &lt; duration ≤ period.</item>
/// </list>
/// Durations are an integer with a unit: ms, s, m, h, d. Cron expressions are not supported.
/// </summary>
public readonly record struct DowntimeRecurrence(RecurrenceKind Kind, byte DaysOfWeekMask, long StartOfDayMs, long PeriodMs, long DurationMs)
{
    public const long DayMs = 24L * 60 * 60 * 1000;
    public const long WeekMs = 7 * DayMs;

    /// <summary>Bit of each day in <see cref="DaysOfWeekMask"/>: bit 0 is Sunday, matching <see cref="DayOfWeek"/>.</summary>
    private static readonly string[] DayNames = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

    public static DowntimeRecurrence OneOff => default;

    /// <exception cref="OptionValidationException">The text does not follow one of the forms above.</exception>
    public static DowntimeRecurrence Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string[] tokens = text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (tokens.Length == 0)
        {
            return OneOff;
        }

        return tokens[0] switch
        {
            "weekly" => ParseWeekly(tokens),
            "interval" => ParseInterval(tokens),
            _ => throw Invalid($"must be empty, \"weekly days=.. [start=HH:MM] duration=..\" or \"interval every=.. duration=..\"; got \"{text}\""),
        };
    }

    /// <summary>True when <paramref name="nowMs"/> (≥ 0) falls in one of the recurrence's windows (ignores the downtime's overall bounds).</summary>
    public bool InWindow(long nowMs, long downtimeStartMs)
    {
        switch (Kind)
        {
            case RecurrenceKind.None:
                return true;
            case RecurrenceKind.Interval:
                return nowMs >= downtimeStartMs && (nowMs - downtimeStartMs) % PeriodMs < DurationMs;
            case RecurrenceKind.Weekly:
                // A window lasts at most a week, so only windows starting in the last 8 days can cover now.
                long today = nowMs / DayMs;
                for (long day = today; day >= today - 7 && day >= 0; day--)
                {
                    int weekday = (int)((day + 4) % 7); // 1970-01-01 was a Thursday.
                    long start = (day * DayMs) + StartOfDayMs;
                    if ((DaysOfWeekMask & (1 << weekday)) != 0 && start <= nowMs && nowMs < start + DurationMs)
                    {
                        return true;
                    }
                }

                return false;
            default:
                throw new InvalidOperationException($"invariant: recurrence kind {Kind} was validated");
        }
    }

    /// <summary>
    /// The first instant after <paramref name="afterMs"/> (≥ <paramref name="downtimeStartMs"/>) at which
    /// <see cref="InWindow"/> may change: a window's start or end. <see cref="long.MaxValue"/> when none
    /// (one-off: the downtime's own bounds are its only boundaries). Used to arm the boundary timer.
    /// </summary>
    public long NextBoundaryAfter(long afterMs, long downtimeStartMs)
    {
        switch (Kind)
        {
            case RecurrenceKind.None:
                return long.MaxValue;
            case RecurrenceKind.Interval:
            {
                if (afterMs < downtimeStartMs)
                {
                    return downtimeStartMs;
                }

                long windowStart = downtimeStartMs + ((afterMs - downtimeStartMs) / PeriodMs * PeriodMs);
                return afterMs < windowStart + DurationMs ? windowStart + DurationMs : windowStart + PeriodMs;
            }

            case RecurrenceKind.Weekly:
            {
                // Windows last at most a week: the boundaries after now belong to windows that started in the
                // last 8 days or start in the next 8.
                long next = long.MaxValue;
                long today = Math.Max(afterMs, 0) / DayMs;
                for (long day = Math.Max(today - 7, 0); day <= today + 8; day++)
                {
                    int weekday = (int)((day + 4) % 7);
                    if ((DaysOfWeekMask & (1 << weekday)) == 0)
                    {
                        continue;
                    }

                    long start = (day * DayMs) + StartOfDayMs;
                    if (start > afterMs)
                    {
                        next = Math.Min(next, start);
                    }
                    else if (start + DurationMs > afterMs)
                    {
                        next = Math.Min(next, start + DurationMs);
                    }
                }

                return next;
            }

            default:
                throw new InvalidOperationException($"invariant: recurrence kind {Kind} was validated");
        }
    }

    private static DowntimeRecurrence ParseWeekly(string[] tokens)
    {
        byte mask = 0;
        long startOfDay = 0;
        long duration = 0;
        foreach (string token in tokens.AsSpan(1))
        {
            var (key, value) = Split(token);
            switch (key)
            {
                case "days":
                    foreach (string day in value.Split(','))
                    {
                        int index = Array.IndexOf(DayNames, day);
                        if (index < 0)
                        {
                            throw Invalid($"unknown day \"{day}\"; use sun, mon, tue, wed, thu, fri, sat");
                        }

                        mask |= (byte)(1 << index);
                    }

                    break;
                case "start":
                    if (!TimeOnly.TryParseExact(value, "HH:mm", CultureInfo.InvariantCulture, DateTimeStyles.None, out TimeOnly time))
                    {
                        throw Invalid($"start must be HH:MM (UTC), got \"{value}\"");
                    }

                    startOfDay = time.Ticks / TimeSpan.TicksPerMillisecond;
                    break;
                case "duration":
                    duration = ParseDuration(value);
                    break;
                default:
                    throw Invalid($"unknown weekly key \"{key}\"; use days, start, duration");
            }
        }

        if (mask == 0)
        {
            throw Invalid("weekly needs days=..");
        }

        if (duration is <= 0 or > WeekMs)
        {
            throw Invalid($"weekly duration must be in 1 ms..7 d, was {duration} ms");
        }

        return new DowntimeRecurrence(RecurrenceKind.Weekly, mask, startOfDay, WeekMs, duration);
    }

    private static DowntimeRecurrence ParseInterval(string[] tokens)
    {
        long every = 0;
        long duration = 0;
        foreach (string token in tokens.AsSpan(1))
        {
            var (key, value) = Split(token);
            switch (key)
            {
                case "every":
                    every = ParseDuration(value);
                    break;
                case "duration":
                    duration = ParseDuration(value);
                    break;
                default:
                    throw Invalid($"unknown interval key \"{key}\"; use every, duration");
            }
        }

        if (every <= 0 || every > MonitorRules.MaxDurationMs)
        {
            throw Invalid($"interval every must be in 1 ms..{MonitorRules.MaxDurationMs} ms, was {every} ms");
        }

        if (duration <= 0 || duration > every)
        {
            throw Invalid($"interval duration must be in 1 ms..every ({every} ms), was {duration} ms");
        }

        return new DowntimeRecurrence(RecurrenceKind.Interval, 0, 0, every, duration);
    }

    private static (string Key, string Value) Split(string token)
    {
        int eq = token.IndexOf('=', StringComparison.Ordinal);
        if (eq <= 0 || eq == token.Length - 1)
        {
            throw Invalid($"expected key=value, got \"{token}\"");
        }

        return (token[..eq], token[(eq + 1)..]);
    }

    private static long ParseDuration(string text)
    {
        int digits = 0;
        while (digits < text.Length && char.IsAsciiDigit(text[digits]))
        {
            digits++;
        }

        long unitMs = text[digits..] switch
        {
            "ms" => 1,
            "s" => 1000,
            "m" => 60_000,
            "h" => 3_600_000,
            "d" => DayMs,
            _ => throw Invalid($"duration \"{text}\" needs a unit: ms, s, m, h, d"),
        };
        if (digits == 0 || !long.TryParse(text.AsSpan(0, digits), NumberStyles.None, CultureInfo.InvariantCulture, out long amount)
            || amount > MonitorRules.MaxDurationMs / unitMs)
        {
            throw Invalid($"duration \"{text}\" must be a number up to {MonitorRules.MaxDurationMs} ms with a unit");
        }

        return amount * unitMs;
    }

    private static OptionValidationException Invalid(string message) => new("recurrence", message);
}
