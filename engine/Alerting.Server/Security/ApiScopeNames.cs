namespace Alerting.Server.Security;

/// <summary>Configuration names of <see cref="ApiScopes"/>.</summary>
public static class ApiScopeNames
{
    public static string Of(ApiScopes scope) => scope switch
    {
        ApiScopes.Ingest => "ingest",
        ApiScopes.Read => "read",
        ApiScopes.Admin => "admin",
        _ => throw new ArgumentOutOfRangeException(nameof(scope), scope, "a single scope"),
    };

    public static bool TryParse(string name, out ApiScopes scope)
    {
        scope = name.Trim().ToLowerInvariant() switch
        {
            "ingest" => ApiScopes.Ingest,
            "read" => ApiScopes.Read,
            "admin" => ApiScopes.Admin,
            _ => ApiScopes.None,
        };
        return scope != ApiScopes.None;
    }
}
