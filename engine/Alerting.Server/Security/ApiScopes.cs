namespace Alerting.Server.Security;

/// <summary>What an API key may do. <see cref="Admin"/> includes the others.</summary>
[Flags]
public enum ApiScopes
{
    None = 0,
    Ingest = 1,
    Read = 2,
    Admin = 4,
}
