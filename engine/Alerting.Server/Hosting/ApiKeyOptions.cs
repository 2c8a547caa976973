using Alerting.Server.Security;

namespace Alerting.Server.Hosting;

/// <summary>One API key and the scopes it grants (<c>ingest</c>, <c>read</c>, <c>admin</c>; admin grants all).</summary>
public sealed class ApiKeyOptions
{
    /// <summary>Shortest key accepted, so a key cannot be guessed by trying.</summary>
    public const int MinKeyLength = 16;

    public string Key { get; set; } = string.Empty;

    public List<string> Scopes { get; } = [];

    internal void Validate()
    {
        if (Key.Length < MinKeyLength)
        {
            throw new ServerOptionsException($"ApiKeys: every key must be at least {MinKeyLength} characters");
        }

        if (Scopes.Count == 0)
        {
            throw new ServerOptionsException("ApiKeys: every key needs at least one scope (ingest, read, admin)");
        }

        foreach (var scope in Scopes)
        {
            if (!ApiScopeNames.TryParse(scope, out _))
            {
                throw new ServerOptionsException($"ApiKeys: unknown scope \"{scope}\" (allowed: ingest, read, admin)");
            }
        }
    }
}
