namespace Alerting.Cli.Tests.Server;

/// <summary>Tests that share one <see cref="ServerFixture"/>.</summary>
[CollectionDefinition(Name)]
public sealed class ServerCollection : ICollectionFixture<ServerFixture>
{
    public const string Name = "server";
}
