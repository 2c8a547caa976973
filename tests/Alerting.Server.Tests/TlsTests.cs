using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Alerting.Protocol.V1;
using Grpc.Net.Client;

namespace Alerting.Server.Tests;

public sealed class TlsTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "alerting-tls-" + Guid.NewGuid().ToString("N"));

    public TlsTests()
    {
        Directory.CreateDirectory(_directory);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task With_a_certificate_both_ports_serve_https_and_grpc_works_over_tls()
    {
        using var certificate = SelfSigned();
        var path = Path.Combine(_directory, "server.pfx");
        await File.WriteAllBytesAsync(path, certificate.Export(X509ContentType.Pfx, "secret"));
        var options = TestServer.Options();
        options.TlsCertificatePath = path;
        options.TlsCertificatePassword = "secret";

        await using var server = await TestServer.StartAsync(options);
        Assert.Equal("https", server.Host.GrpcAddress.Scheme);
        Assert.Equal("https", server.Host.HttpAddress.Scheme);

        using var channel = GrpcChannel.ForAddress(server.Host.GrpcAddress, new GrpcChannelOptions { HttpHandler = Trusting(certificate) });
        using var cancellation = new CancellationTokenSource(TestServer.Patience);

        var status = await new Cluster.ClusterClient(channel).StatusAsync(new StatusRequest(), TestServer.Call(cancellation.Token));
        Assert.Equal("primary", status.Role);

        using var http = new HttpClient(Trusting(certificate));
        var health = await http.GetAsync(new Uri(server.Host.HttpAddress, "/healthz"), cancellation.Token);
        Assert.True(health.IsSuccessStatusCode, $"/healthz over https answered {health.StatusCode}");
    }

    [Fact]
    public void A_missing_certificate_file_is_refused_with_the_option_named()
    {
        var options = TestServer.Options();
        options.TlsCertificatePath = Path.Combine(_directory, "missing.pfx");

        var error = Assert.Throws<Alerting.Server.Hosting.ServerOptionsException>(() => options.Validate());
        Assert.Contains("TlsCertificatePath", error.Message, StringComparison.Ordinal);
    }

    /// <summary>A handler that trusts exactly <paramref name="certificate"/>, nothing else.</summary>
    private static SocketsHttpHandler Trusting(X509Certificate2 certificate) => new()
    {
        SslOptions = new SslClientAuthenticationOptions
        {
            RemoteCertificateValidationCallback = (_, presented, _, _) => presented?.GetCertHashString() == certificate.GetCertHashString(),
        },
    };

    private static X509Certificate2 SelfSigned()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(System.Net.IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
    }
}
