using Alerting.Engine.State;
using Alerting.Protocol.Log;
using Alerting.Protocol.V1;
using Grpc.Core;

namespace Alerting.Server.Api;

/// <summary>Downtime definitions; each change is a log entry, checked here first.</summary>
public sealed class DowntimesService : Protocol.V1.Downtimes.DowntimesBase
{
    private readonly EngineCalls _engine;

    public DowntimesService(EngineCalls engine)
    {
        _engine = engine;
    }

    public override async Task<DowntimeResponse> Create(CreateDowntimeRequest request, ServerCallContext context)
    {
        var downtime = request.Downtime?.Clone() ?? throw Invalid("downtime: is required");
        if (downtime.Id.Length == 0)
        {
            // Assigned here and recorded in the log, so replay and replicas see the same id.
            downtime.Id = "dt-" + Guid.NewGuid().ToString("N");
        }

        // Datadog v2: a downtime that says nothing about its end notifies on expiry in ALERT, WARN and NO DATA.
        DowntimeModel.FillNotifyEndDefaults(downtime);
        try
        {
            DowntimeModel.FromProto(downtime);
        }
        catch (OptionValidationException e)
        {
            // An empty field is the downtime as a whole (DowntimeModel.WholeDowntime), e.g. its encoded size.
            throw Invalid(e.Field.Length == 0 ? $"downtime{e.Message}" : $"downtime.{e.Message}");
        }

        var full = await _engine.Query(state => state.DowntimeCount >= DowntimeSet.MaxDowntimes).ConfigureAwait(false);
        if (full)
        {
            throw new RpcException(new Status(StatusCode.ResourceExhausted, $"at most {DowntimeSet.MaxDowntimes} downtimes may exist; delete some first"));
        }

        var applied = await _engine.WriteAsync(new LogEntry { DowntimeUpserted = new DowntimeUpserted { Downtime = downtime } }, WriteClients.Of(context), context.CancellationToken).ConfigureAwait(false);
        return new DowntimeResponse { Downtime = downtime, LogIndex = (ulong)applied.Index };
    }

    public override async Task<ListDowntimesResponse> List(ListDowntimesRequest request, ServerCallContext context)
    {
        var downtimes = await _engine.Query(state => state.DowntimeDefinitions().Select(d => d.Clone()).ToList()).ConfigureAwait(false);
        var response = new ListDowntimesResponse();
        response.Downtimes.AddRange(downtimes);
        return response;
    }

    public override async Task<DeleteDowntimeResponse> Delete(DeleteDowntimeRequest request, ServerCallContext context)
    {
        var exists = await _engine.Query(state => state.DowntimeDefinitions().Any(d => d.Id == request.Id)).ConfigureAwait(false);
        if (!exists)
        {
            throw new RpcException(new Status(StatusCode.NotFound, $"no downtime with id \"{request.Id}\""));
        }

        var applied = await _engine.WriteAsync(new LogEntry { DowntimeDeleted = new DowntimeDeleted { DowntimeId = request.Id } }, WriteClients.Of(context), context.CancellationToken).ConfigureAwait(false);
        return new DeleteDowntimeResponse { LogIndex = (ulong)applied.Index };
    }

    private static RpcException Invalid(string message) => new(new Status(StatusCode.InvalidArgument, message));
}
