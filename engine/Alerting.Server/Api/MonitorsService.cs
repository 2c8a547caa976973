using System.Globalization;
using System.Text.RegularExpressions;
using Alerting.Engine.Monitors;
using Alerting.Engine.StateMachine;
using Alerting.Protocol.V1;
using Grpc.Core;
using Monitor = Alerting.Protocol.Log.Monitor;

namespace Alerting.Server.Api;

/// <summary>
/// Monitor definitions. Every change is a log entry; the boundary validates with the same
/// compiler the state machine uses, so an accepted request is applied, never refused later.
/// </summary>
public sealed partial class MonitorsService : Protocol.V1.Monitors.MonitorsBase
{
    /// <summary>Stands in for the id the state machine assigns when validating a definition that has none yet.</summary>
    private const string PlaceholderId = "unassigned";

    private readonly EngineCalls _engine;
    private readonly JournalBacktest _backtest;

    public MonitorsService(EngineCalls engine, JournalBacktest backtest)
    {
        _engine = engine;
        _backtest = backtest;
    }

    public override async Task<MonitorResponse> Create(CreateMonitorRequest request, ServerCallContext context)
    {
        var monitor = Validated(request.Monitor);
        if (monitor.Id.Length == 0 && monitor.Name.Length == 0)
        {
            throw Invalid("monitor.name: a monitor without an id needs a name");
        }

        var clash = await _engine.Query(state => monitor.Id.Length > 0
            ? state.TryGetMonitor(monitor.Id, out _) ? $"a monitor with id \"{monitor.Id}\" already exists" : null
            : state.MonitorIdOfName(monitor.Name) is not null ? $"a monitor named \"{monitor.Name}\" already exists; use Update or Upsert" : null).ConfigureAwait(false);
        if (clash is not null)
        {
            throw new RpcException(new Status(StatusCode.AlreadyExists, clash));
        }

        var (stored, outcome, index) = await Upsert(monitor, context).ConfigureAwait(false);
        if (outcome != MonitorOutcome.Created)
        {
            throw new RpcException(new Status(StatusCode.AlreadyExists, $"monitor \"{stored.Id}\" was created concurrently; it is now {outcome}"));
        }

        return new MonitorResponse { Monitor = stored, LogIndex = index };
    }

    public override async Task<MonitorResponse> Update(UpdateMonitorRequest request, ServerCallContext context)
    {
        var monitor = Validated(request.Monitor);
        if (monitor.Id.Length == 0)
        {
            throw Invalid("monitor.id: Update needs the id of an existing monitor (Upsert works by name)");
        }

        var exists = await _engine.Query(state => state.TryGetMonitor(monitor.Id, out _)).ConfigureAwait(false);
        if (!exists)
        {
            throw NotFound(monitor.Id);
        }

        var (stored, _, index) = await Upsert(monitor, context).ConfigureAwait(false);
        return new MonitorResponse { Monitor = stored, LogIndex = index };
    }

    public override async Task<UpsertMonitorResponse> Upsert(UpsertMonitorRequest request, ServerCallContext context)
    {
        var monitor = Validated(request.Monitor);
        if (monitor.Id.Length == 0 && monitor.Name.Length == 0)
        {
            throw Invalid("monitor.name: an upsert by name needs a name");
        }

        var (stored, outcome, index) = await Upsert(monitor, context).ConfigureAwait(false);
        return new UpsertMonitorResponse
        {
            Monitor = stored,
            LogIndex = index,
            Outcome = outcome switch
            {
                MonitorOutcome.Created => UpsertOutcome.Created,
                MonitorOutcome.Updated => UpsertOutcome.Updated,
                _ => UpsertOutcome.Unchanged,
            },
        };
    }

    public override async Task<MonitorResponse> Get(GetMonitorRequest request, ServerCallContext context)
    {
        var monitor = await _engine.Query(state => state.TryGetMonitor(request.Id, out var m) ? m!.Clone() : null).ConfigureAwait(false);
        return new MonitorResponse { Monitor = monitor ?? throw NotFound(request.Id) };
    }

    public override async Task<ListMonitorsResponse> List(ListMonitorsRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        var stateFilter = request.State.Length == 0 ? (Engine.State.AlertState?)null : StateNames.Parse(request.State, "state");
        var pageSize = Paging.PageSize(request.PageSize);
        var fromSlot = Paging.MonitorsSlot(request.PageToken);
        var response = new ListMonitorsResponse();
        response.NextPageToken = await _engine.Query(state =>
        {
            var page = new List<Monitor>(Math.Min(pageSize, 1_024));
            var next = state.PageMonitors(
                m => (request.Tag.Length == 0 || m.Tags.Contains(request.Tag))
                    && (request.NameContains.Length == 0 || m.Name.Contains(request.NameContains, StringComparison.OrdinalIgnoreCase)),
                stateFilter,
                fromSlot,
                pageSize,
                Paging.MaxExaminedPerPage,
                Paging.MaxMonitorPageBytes,
                page);
            foreach (var monitor in page)
            {
                response.Monitors.Add(monitor.Clone());
            }

            return Paging.MonitorsToken(next);
        }).ConfigureAwait(false);
        return response;
    }

    public override async Task<DeleteMonitorResponse> Delete(DeleteMonitorRequest request, ServerCallContext context)
    {
        if (request.Id.Length == 0)
        {
            throw Invalid("id: must not be empty");
        }

        var applied = await _engine.WriteAsync(new Protocol.Log.LogEntry { MonitorDeleted = new Protocol.Log.MonitorDeleted { MonitorId = request.Id } }, WriteClients.Of(context), context.CancellationToken).ConfigureAwait(false);
        return applied.Result.Monitor switch
        {
            MonitorOutcome.NotFound => throw NotFound(request.Id),
            MonitorOutcome.InUse => throw new RpcException(new Status(StatusCode.FailedPrecondition, applied.Result.Error ?? $"monitor \"{request.Id}\" is used by composite monitors")),
            _ => new DeleteMonitorResponse { LogIndex = (ulong)applied.Index },
        };
    }

    public override Task<ValidateMonitorResponse> Validate(ValidateMonitorRequest request, ServerCallContext context)
    {
        var response = new ValidateMonitorResponse { Valid = true };
        if (ValidationError(request.Monitor) is { } error)
        {
            response.Valid = false;
            response.Errors.Add(error);
        }

        return Task.FromResult(response);
    }

    /// <summary>Replays the journal through a private copy of the candidate (<see cref="JournalBacktest"/>); live state is not touched.</summary>
    public override Task<BacktestResponse> Backtest(BacktestRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return _backtest.RunAsync(request, context.CancellationToken);
    }

    /// <summary>The first problem of a definition, with the column of a parse error when the reason names one.</summary>
    internal static ValidationError? ValidationError(Monitor? monitor)
    {
        if (monitor is null)
        {
            return new ValidationError { Field = "monitor", Message = "is required" };
        }

        var candidate = monitor.Id.Length > 0 ? monitor : WithPlaceholderId(monitor);
        try
        {
            MonitorCompiler.Validate(candidate);
            return null;
        }
        catch (MonitorValidationException e)
        {
            var column = ColumnPattern().Match(e.Reason);
            return new ValidationError
            {
                Field = e.Field,
                Message = e.Reason,
                Column = column.Success ? int.Parse(column.Groups[1].ValueSpan, CultureInfo.InvariantCulture) : 0,
            };
        }
    }

    private static Monitor WithPlaceholderId(Monitor monitor)
    {
        var copy = monitor.Clone();
        copy.Id = PlaceholderId;
        return copy;
    }

    private static Monitor Validated(Monitor? monitor)
    {
        if (ValidationError(monitor) is { } error)
        {
            // An empty field is the definition as a whole (MonitorCompiler.WholeDefinition), e.g. its encoded size.
            throw Invalid(error.Field.Length == 0 ? $"monitor: {error.Message}" : $"monitor.{error.Field}: {error.Message}");
        }

        // Options the request leaves out get Datadog's defaults before the log sees them.
        return MonitorDefaults.Apply(monitor!);
    }

    private async Task<(Monitor Stored, MonitorOutcome Outcome, ulong Index)> Upsert(Monitor monitor, ServerCallContext context)
    {
        var applied = await _engine.WriteAsync(new Protocol.Log.LogEntry { MonitorUpserted = new Protocol.Log.MonitorUpserted { Monitor = monitor } }, WriteClients.Of(context), context.CancellationToken).ConfigureAwait(false);
        var result = applied.Result;
        if (result.Monitor == MonitorOutcome.Rejected)
        {
            throw new RpcException(new Status(StatusCode.FailedPrecondition, result.Error ?? "the state machine refused the monitor"));
        }

        var stored = monitor.Clone();
        stored.Id = result.MonitorId ?? monitor.Id;
        return (stored, result.Monitor, (ulong)applied.Index);
    }

    private static RpcException Invalid(string message) => new(new Status(StatusCode.InvalidArgument, message));

    private static RpcException NotFound(string id) => new(new Status(StatusCode.NotFound, $"no monitor with id \"{id}\""));

    [GeneratedRegex(@"at column (\d+)")]
    private static partial Regex ColumnPattern();
}
