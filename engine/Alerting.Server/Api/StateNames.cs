using Alerting.Engine.State;
using Grpc.Core;

namespace Alerting.Server.Api;

/// <summary>Wire names of <see cref="AlertState"/>: OK, WARN, ALERT, NO_DATA.</summary>
public static class StateNames
{
    public static string Of(AlertState state) => state switch
    {
        AlertState.Ok => "OK",
        AlertState.Warn => "WARN",
        AlertState.Alert => "ALERT",
        AlertState.NoData => "NO_DATA",
        _ => throw new ArgumentOutOfRangeException(nameof(state), state, null),
    };

    /// <exception cref="RpcException">INVALID_ARGUMENT naming <paramref name="field"/>.</exception>
    public static AlertState Parse(string name, string field) => name.ToUpperInvariant() switch
    {
        "OK" => AlertState.Ok,
        "WARN" => AlertState.Warn,
        "ALERT" => AlertState.Alert,
        "NO_DATA" => AlertState.NoData,
        _ => throw new RpcException(new Status(StatusCode.InvalidArgument, $"{field}: \"{name}\" is not a state (OK, WARN, ALERT, NO_DATA)")),
    };
}
