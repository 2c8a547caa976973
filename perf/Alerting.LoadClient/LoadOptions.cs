using System.Globalization;

namespace Alerting.LoadClient;

internal sealed record LoadOptions
{
    public required string Scenario { get; init; }

    public string Server { get; init; } = "http://127.0.0.1:7700";

    public string? ApiKey { get; init; }

    public int Seconds { get; init; } = 20;

    public int Streams { get; init; } = 4;

    /// <summary>Target points per second across all streams (M1 sends on this schedule).</summary>
    public int Rate { get; init; } = 1_000_000;

    public int Series { get; init; } = 100_000;

    public int BatchSize { get; init; } = 1_000;

    public int Samples { get; init; } = 2_000;

    public static LoadOptions Parse(string[] args)
    {
        if (args.Length == 0)
        {
            throw new ArgumentException("usage: loadclient m1|m2 [--server URL] [--api-key KEY] [--seconds N] [--streams N] [--rate N] [--series N] [--batch N] [--samples N]");
        }

        var options = new LoadOptions { Scenario = args[0], ApiKey = Environment.GetEnvironmentVariable("ALERTING_API_KEY") };
        for (var i = 1; i < args.Length; i += 2)
        {
            var value = i + 1 < args.Length ? args[i + 1] : throw new ArgumentException($"{args[i]} needs a value");
            options = args[i] switch
            {
                "--server" => options with { Server = value },
                "--api-key" => options with { ApiKey = value },
                "--seconds" => options with { Seconds = Int(value) },
                "--streams" => options with { Streams = Int(value) },
                "--rate" => options with { Rate = Int(value) },
                "--series" => options with { Series = Int(value) },
                "--batch" => options with { BatchSize = Int(value) },
                "--samples" => options with { Samples = Int(value) },
                _ => throw new ArgumentException($"unknown option {args[i]}"),
            };
        }

        return options;
    }

    public Grpc.Core.Metadata Headers()
    {
        var headers = new Grpc.Core.Metadata();
        if (ApiKey is not null)
        {
            headers.Add("authorization", "Bearer " + ApiKey);
        }

        return headers;
    }

    private static int Int(string value) => int.Parse(value, NumberStyles.None, CultureInfo.InvariantCulture);
}
