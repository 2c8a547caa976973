using Alerting.Server.Notifications;

namespace Alerting.Server.Tests.Notifications;

public sealed class NotificationRouterTests
{
    private readonly NotificationRouter _router = new(["webhook-ops", "pager", "team.db"], ["webhook-ops"]);

    [Theory]
    [InlineData("disk full @pager", new[] { "pager" })]
    [InlineData("@pager @webhook-ops and @pager again", new[] { "pager", "webhook-ops" })]
    [InlineData("ask @team.db.", new[] { "team.db" })]
    [InlineData("(@pager)", new[] { "pager" })]
    public void Mentions_of_configured_endpoints_route_there_in_order_of_mention(string message, string[] expected) =>
        Assert.Equal(expected, _router.Route(message));

    [Theory]
    [InlineData("disk full")]
    [InlineData("mail ops@pager")]
    [InlineData("tell @alice")]
    [InlineData("")]
    public void Message_without_a_configured_mention_goes_to_the_defaults(string message) =>
        Assert.Equal(["webhook-ops"], _router.Route(message));
}
