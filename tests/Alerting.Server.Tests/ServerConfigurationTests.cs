using Alerting.Server.Hosting;

namespace Alerting.Server.Tests;

public sealed class ServerConfigurationTests
{
    [Fact]
    public void Defaults_are_loopback_ports_7700_and_7701_and_data_in_the_current_directory()
    {
        var options = ServerConfiguration.Load([], new Dictionary<string, string?>());

        Assert.Equal("127.0.0.1", options.BindAddress);
        Assert.Equal(7700, options.GrpcPort);
        Assert.Equal(7701, options.HttpPort);
        Assert.Equal("data", options.DataDirectory);
        Assert.Empty(options.ApiKeys);
    }

    [Theory]
    [InlineData(new string[0], false)]
    [InlineData(new[] { "--force-empty" }, true)]
    [InlineData(new[] { "--force-empty", "--grpc-port", "7900" }, true)]
    [InlineData(new[] { "--grpc-port", "7900", "--force-empty" }, true)]
    [InlineData(new[] { "--force-empty", "false" }, false)]
    [InlineData(new[] { "--ForceEmpty", "true" }, true)]
    public void Force_empty_is_a_flag_without_a_value_unless_one_is_given(string[] args, bool expected)
    {
        var options = ServerConfiguration.Load(args, new Dictionary<string, string?>());

        Assert.Equal(expected, options.ForceEmpty);
        Assert.Equal(args.Contains("7900") ? 7900 : ServerOptions.DefaultGrpcPort, options.GrpcPort);
    }

    [Fact]
    public void Environment_variables_set_api_keys_and_flags_override_them()
    {
        var environment = new Dictionary<string, string?>
        {
            ["ALERTING_GrpcPort"] = "7800",
            ["ALERTING_ApiKeys__0__Key"] = "ingest-key-0123456789",
            ["ALERTING_ApiKeys__0__Scopes__0"] = "ingest",
            ["ALERTING_ApiKeys__0__Scopes__1"] = "read",
            ["OTHER_GrpcPort"] = "1",
        };

        var options = ServerConfiguration.Load(["--grpc-port", "7900", "--data-dir", "/srv/alerting", "--MaxSubscriptions", "5"], environment);

        Assert.Equal(7900, options.GrpcPort);
        Assert.Equal("/srv/alerting", options.DataDirectory);
        Assert.Equal(5, options.MaxSubscriptions);
        var key = Assert.Single(options.ApiKeys);
        Assert.Equal("ingest-key-0123456789", key.Key);
        Assert.Equal(["ingest", "read"], key.Scopes);
    }

    [Fact]
    public void A_settings_file_is_read_and_the_command_line_wins_over_it()
    {
        var file = Path.Combine(Path.GetTempPath(), $"alerting-settings-{Guid.NewGuid():N}.json");
        File.WriteAllText(file, """{ "HttpPort": 8001, "GrpcPort": 8000, "ApiKeys": [ { "Key": "admin-key-0123456789", "Scopes": [ "admin" ] } ] }""");
        try
        {
            var options = ServerConfiguration.Load(["--settings", file, "--http-port", "9001"], new Dictionary<string, string?>());

            Assert.Equal(8000, options.GrpcPort);
            Assert.Equal(9001, options.HttpPort);
            Assert.Equal(["admin"], Assert.Single(options.ApiKeys).Scopes);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Theory]
    [InlineData("not-an-ip", "BindAddress")]
    [InlineData("10.0.0.1", "without API keys")]
    public void Unusable_bind_addresses_are_refused_with_the_reason(string bind, string reason)
    {
        var options = new ServerOptions { BindAddress = bind };

        var error = Assert.Throws<ServerOptionsException>(() => options.Validate());

        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Short_keys_and_unknown_scopes_are_refused()
    {
        var shortKey = new ServerOptions();
        shortKey.ApiKeys.Add(new ApiKeyOptions { Key = "short", Scopes = { "read" } });
        var unknownScope = new ServerOptions();
        unknownScope.ApiKeys.Add(new ApiKeyOptions { Key = "long-enough-key-0123456789", Scopes = { "write" } });

        Assert.Contains("at least", Assert.Throws<ServerOptionsException>(() => shortKey.Validate()).Message, StringComparison.Ordinal);
        Assert.Contains("unknown scope \"write\"", Assert.Throws<ServerOptionsException>(() => unknownScope.Validate()).Message, StringComparison.Ordinal);
    }
}
