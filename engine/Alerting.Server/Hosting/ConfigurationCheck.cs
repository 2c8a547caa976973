using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Configuration;

namespace Alerting.Server.Hosting;

/// <summary>
/// <c>Alerting.Server --check [--settings FILE] [flags]</c>: reads the options exactly as a start
/// would (settings file, <c>ALERTING_</c> variables, flags), checks them, and exits without opening
/// the data folder or a port: 0 and a summary when the server would accept them, 2
/// (<see cref="StartupFailure.BadOptions"/>) and one line naming the problem when not. Beyond what a
/// start checks, it also refuses keys in the settings file that no option reads (a misspelt key is
/// silently ignored at start) and a TLS certificate that does not load with its password.
/// </summary>
public static class ConfigurationCheck
{
    public const string Flag = "--check";

    public static bool Requested(IEnumerable<string> args) => args.Contains(Flag, StringComparer.Ordinal);

    /// <summary>Runs the check; returns the exit code.</summary>
    public static int Run(string[] args, TextWriter output, TextWriter error, IDictionary<string, string?>? environment = null)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        var rest = args.Where(a => a != Flag).ToArray();
        try
        {
            var options = ServerConfiguration.Load(rest, environment);
            var address = options.Validate();
            if (ServerConfiguration.SettingsFile(rest, environment) is { } file)
            {
                CheckKnownKeys(file);
            }

            if (options.UsesTls)
            {
                CheckCertificate(options);
            }

            var folder = Path.GetFullPath(options.DataDirectory);
            output.WriteLine($"alerting: configuration OK");
            output.WriteLine($"alerting: would listen on {address} (gRPC port {options.GrpcPort}, HTTP port {options.HttpPort}{(options.DogStatsdPort is { } d ? $", DogStatsD UDP port {d}" : "")}){(options.UsesTls ? " with TLS" : "")}");
            output.WriteLine($"alerting: data folder {folder} ({(Directory.Exists(folder) ? "exists" : "would be created")}), role {options.Role.ToString().ToLowerInvariant()}{(options.IsReplicated ? ", replicated" : "")}");
            output.WriteLine(options.ApiKeys.Count == 0 ? "alerting: no API keys: every call is allowed (loopback only)" : $"alerting: {options.ApiKeys.Count} API key(s)");
            return 0;
        }
#pragma warning disable CA1031 // Every refusal becomes one line and the bad-options code, as at start.
        catch (Exception e)
#pragma warning restore CA1031
        {
            error.WriteLine($"alerting: configuration refused: {StartupFailure.Describe(e)}");
            return StartupFailure.BadOptions;
        }
    }

    /// <summary>Binds the settings file alone, refusing keys that no option reads, with their path.</summary>
    private static void CheckKnownKeys(string file)
    {
        var configuration = new ConfigurationBuilder().AddJsonFile(Path.GetFullPath(file), optional: false).Build();
        try
        {
            configuration.Bind(new ServerOptions(), binder => binder.ErrorOnUnknownConfiguration = true);
        }
        catch (InvalidOperationException e)
        {
            throw new ServerOptionsException($"settings file {Path.GetFullPath(file)}: {e.Message}", e);
        }
    }

    private static void CheckCertificate(ServerOptions options)
    {
        try
        {
            using var certificate = X509CertificateLoader.LoadPkcs12FromFile(options.TlsCertificatePath, options.TlsCertificatePassword.Length > 0 ? options.TlsCertificatePassword : null);
            if (!certificate.HasPrivateKey)
            {
                throw new ServerOptionsException($"TlsCertificatePath \"{options.TlsCertificatePath}\" holds no private key");
            }
        }
        catch (CryptographicException e)
        {
            throw new ServerOptionsException($"TlsCertificatePath \"{options.TlsCertificatePath}\" does not load (wrong TlsCertificatePassword, or not a PKCS#12 file): {e.Message}", e);
        }
    }
}
