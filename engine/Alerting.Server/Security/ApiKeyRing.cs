using System.Security.Cryptography;
using System.Text;
using Alerting.Server.Hosting;
using Grpc.Core;

namespace Alerting.Server.Security;

/// <summary>
/// The configured API keys and their scopes, checked in constant time. gRPC calls reach it through
/// <see cref="ApiKeyInterceptor"/>; the HTTP ingestion routes (Prometheus, OTLP, Datadog) call it
/// with the key from their own header. With no keys configured everything is allowed; the host
/// then only binds loopback (<see cref="ServerOptions.Validate"/>).
/// </summary>
public sealed class ApiKeyRing
{
    private readonly (byte[] Key, ApiScopes Scopes)[] _keys;

    public ApiKeyRing(ServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _keys = options.ApiKeys
            .Select(k => (Encoding.UTF8.GetBytes(k.Key), k.Scopes.Aggregate(ApiScopes.None, (all, s) => ApiScopeNames.TryParse(s, out var one) ? all | one : all)))
            .ToArray();
    }

    public bool RequiresKeys => _keys.Length > 0;

    /// <summary>Checks <paramref name="presented"/> (null when the caller sent none) for <paramref name="required"/>.</summary>
    /// <param name="howToPresent">Tells the caller where the key goes, for the error message.</param>
    /// <param name="what">The call, for the error message.</param>
    /// <exception cref="RpcException">UNAUTHENTICATED (no or unknown key) or PERMISSION_DENIED (a key without the scope).</exception>
    public void Authorize(string? presented, ApiScopes required, string howToPresent, string what)
    {
        if (_keys.Length == 0)
        {
            return;
        }

        if (string.IsNullOrWhiteSpace(presented))
        {
            throw new RpcException(new Status(StatusCode.Unauthenticated, $"missing {howToPresent}"));
        }

        var bytes = Encoding.UTF8.GetBytes(presented.Trim());
        var granted = ApiScopes.None;
        var known = false;
        foreach (var (key, scopes) in _keys)
        {
            if (CryptographicOperations.FixedTimeEquals(key, bytes))
            {
                granted |= scopes;
                known = true;
            }
        }

        if (!known)
        {
            throw new RpcException(new Status(StatusCode.Unauthenticated, "unknown API key"));
        }

        if ((granted & (required | ApiScopes.Admin)) == 0)
        {
            throw new RpcException(new Status(StatusCode.PermissionDenied, $"this API key lacks the \"{ApiScopeNames.Of(required)}\" scope needed by {what}"));
        }
    }

    /// <summary>The key of an <c>authorization: Bearer &lt;key&gt;</c> header, or null.</summary>
    public static string? BearerKey(string? header)
    {
        const string Bearer = "Bearer ";
        return header is not null && header.StartsWith(Bearer, StringComparison.OrdinalIgnoreCase) ? header[Bearer.Length..] : null;
    }
}
