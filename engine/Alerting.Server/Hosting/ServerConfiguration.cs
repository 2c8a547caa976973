namespace Alerting.Server.Hosting;

/// <summary>
/// Reads <see cref="ServerOptions"/> from, in increasing precedence: the settings file named by
/// <c>--settings</c> (or <c>ALERTING_SETTINGS</c>), <c>ALERTING_</c> environment variables, and
/// command-line flags. Keys are the option names (<c>--GrpcPort 7800</c>,
/// <c>ALERTING_GrpcPort=7800</c>, <c>"GrpcPort": 7800</c>); nested and list values use the
/// standard separators (<c>ALERTING_ApiKeys__0__Key</c>, <c>--ApiKeys:0:Scopes:0 admin</c>).
/// </summary>
public static class ServerConfiguration
{
    public const string EnvironmentPrefix = "ALERTING_";

    /// <summary>Short flags for the common settings.</summary>
    public static readonly IReadOnlyDictionary<string, string> Switches = new Dictionary<string, string>
    {
        ["--data-dir"] = nameof(ServerOptions.DataDirectory),
        ["--bind"] = nameof(ServerOptions.BindAddress),
        ["--grpc-port"] = nameof(ServerOptions.GrpcPort),
        ["--http-port"] = nameof(ServerOptions.HttpPort),
        ["--dogstatsd-port"] = nameof(ServerOptions.DogStatsdPort),
        ["--node-id"] = nameof(ServerOptions.NodeId),
        ["--role"] = nameof(ServerOptions.Role),
        ["--peers"] = nameof(ServerOptions.Peers),
        ["--witness"] = nameof(ServerOptions.WitnessId),
        ["--series-retention-ms"] = $"{nameof(ServerOptions.EngineSettings)}:{nameof(EngineSettingsOptions.SeriesRetentionMs)}",
        ["--series-sweep-step"] = $"{nameof(ServerOptions.EngineSettings)}:{nameof(EngineSettingsOptions.SeriesSweepStep)}",
        ["--match-step-series"] = $"{nameof(ServerOptions.EngineSettings)}:{nameof(EngineSettingsOptions.MatchStepSeries)}",
        ["--settings"] = SettingsKey,
    };

    /// <summary>A flag without a value: <c>--force-empty</c> sets <see cref="ServerOptions.ForceEmpty"/>.</summary>
    public const string ForceEmptyFlag = "--force-empty";

    private const string SettingsKey = "Settings";

    /// <exception cref="InvalidOperationException">A value does not convert to its option's type.</exception>
    /// <exception cref="FileNotFoundException">The named settings file does not exist.</exception>
    public static ServerOptions Load(string[] args, IDictionary<string, string?>? environment = null)
    {
        ArgumentNullException.ThrowIfNull(args);
        args = ExpandForceEmpty(args);
        var switches = new Dictionary<string, string>(Switches);
        var settingsFile = Sources(new ConfigurationBuilder(), args, switches, environment).Build()[SettingsKey];
        var builder = new ConfigurationBuilder();
        if (settingsFile is { Length: > 0 })
        {
            builder.AddJsonFile(Path.GetFullPath(settingsFile), optional: false);
        }

        var options = new ServerOptions();
        Sources(builder, args, switches, environment).Build().Bind(options);
        return options;
    }

    /// <summary>The settings file the arguments and environment name (<c>--settings</c>, <c>ALERTING_SETTINGS</c>), or null.</summary>
    public static string? SettingsFile(string[] args, IDictionary<string, string?>? environment = null)
    {
        ArgumentNullException.ThrowIfNull(args);
        var file = Sources(new ConfigurationBuilder(), ExpandForceEmpty(args), new Dictionary<string, string>(Switches), environment).Build()[SettingsKey];
        return file is { Length: > 0 } ? file : null;
    }

    /// <summary><c>--force-empty</c> alone means true; <c>--force-empty true|false</c> keeps its value.</summary>
    private static string[] ExpandForceEmpty(string[] args)
    {
        var expanded = new List<string>(args.Length + 1);
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] != ForceEmptyFlag)
            {
                expanded.Add(args[i]);
                continue;
            }

            expanded.Add("--" + nameof(ServerOptions.ForceEmpty));
            var explicitValue = i + 1 < args.Length && bool.TryParse(args[i + 1], out _);
            expanded.Add(explicitValue ? args[++i] : "true");
        }

        return [.. expanded];
    }

    /// <summary>Environment (the process's, or the given one for tests) then command line.</summary>
    private static IConfigurationBuilder Sources(IConfigurationBuilder builder, string[] args, Dictionary<string, string> switches, IDictionary<string, string?>? environment)
    {
        if (environment is null)
        {
            builder.AddEnvironmentVariables(EnvironmentPrefix);
        }
        else
        {
            builder.AddInMemoryCollection(environment
                .Where(e => e.Key.StartsWith(EnvironmentPrefix, StringComparison.OrdinalIgnoreCase))
                .Select(e => KeyValuePair.Create(e.Key[EnvironmentPrefix.Length..].Replace("__", ":", StringComparison.Ordinal), e.Value)));
        }

        return builder.AddCommandLine(args, switches);
    }
}
