using Alerting.Engine.StateMachine;
using Alerting.Protocol.V1;
using Grpc.Core;
using static Alerting.Engine.StateMachine.TransitionHistory;
using EngineEvent = Alerting.Engine.State.TransitionEvent;
using TransitionEvent = Alerting.Protocol.V1.TransitionEvent;

namespace Alerting.Server.Api;

/// <summary>
/// Transition events and group states. <see cref="Subscribe"/> reads the transition history
/// (part of the state, so it survives restarts) after a log index and then waits on it: a
/// client that resumes with the last log index it received misses nothing and repeats nothing.
/// </summary>
public sealed class AlertsService : Protocol.V1.Alerts.AlertsBase
{
    /// <summary>Events copied from the history per read; bounds a subscription's buffer.</summary>
    public const int SubscribeBatch = 1_000;

    public const int DefaultHistoryLimit = 100;

    public const int MaxHistoryLimit = 10_000;

    private readonly EngineCalls _engine;
    private readonly StreamSlots _subscriptions;
    private readonly CancellationToken _stopping;

    public AlertsService(EngineCalls engine, SubscriptionSlots subscriptions, IHostApplicationLifetime lifetime)
    {
        ArgumentNullException.ThrowIfNull(subscriptions);
        ArgumentNullException.ThrowIfNull(lifetime);
        _engine = engine;
        _subscriptions = subscriptions.Slots;
        _stopping = lifetime.ApplicationStopping;
    }

    public override async Task Subscribe(SubscribeRequest request, IServerStreamWriter<TransitionEvent> responseStream, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(responseStream);
        ArgumentNullException.ThrowIfNull(context);
        using var lease = _subscriptions.Acquire();
        var history = _engine.Node.History;
        var forgotten = history.ForgottenBeforeIndex;
        // Events of the oldest kept index may have been dropped in part, so only a resume from
        // that index or later is exact; 0 asks for everything kept.
        if (request.FromIndex > 0 && (long)request.FromIndex < forgotten)
        {
            throw new RpcException(new Status(StatusCode.OutOfRange,
                $"events up to log index {forgotten} are no longer all kept; resume from {forgotten} or later (accepting the gap), or from 0 for everything kept, and read current states with ListStates"));
        }

        // Headers now, before any event: the client can await them to know it is subscribed.
        await context.WriteResponseHeadersAsync([]).ConfigureAwait(false);

        // Subscriptions end when the client goes away or the server stops (graceful shutdown must not wait for them).
        using var ended = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, _stopping);
        var filter = request.MonitorId.Length == 0 ? null : (Func<EngineEvent, bool>)(e => e.MonitorId == request.MonitorId);
        var names = new MonitorNames(_engine);
        var batch = new List<HistoryItem>(SubscribeBatch);
        var after = (long)request.FromIndex;
        while (!ended.IsCancellationRequested)
        {
            batch.Clear();
            var more = history.CopyAfter(after, filter, batch, SubscribeBatch);
            if (batch.Count == 0)
            {
                try
                {
                    await more.WaitAsync(ended.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                continue;
            }

            await names.Resolve(batch).ConfigureAwait(false);
            foreach (var item in batch)
            {
                await responseStream.WriteAsync(ToProto(item, names), ended.Token).ConfigureAwait(false);
            }

            after = batch[^1].Event.LogIndex;
            // Several events share a log index; CopyAfter resumes after the whole index, so a
            // batch cut in the middle of one index must continue from inside it.
            if (batch.Count == SubscribeBatch)
            {
                after = await SendRestOfIndex(history, after, batch[^1], filter, names, responseStream, ended.Token).ConfigureAwait(false);
            }
        }
    }

    public override async Task<ListStatesResponse> ListStates(ListStatesRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        var wanted = request.State.Length == 0 ? (Engine.State.AlertState?)null : StateNames.Parse(request.State, "state");
        var pageSize = Paging.PageSize(request.PageSize);
        var from = Paging.StatesPosition(request.PageToken);
        var monitorId = request.MonitorId.Length == 0 ? null : request.MonitorId;
        Func<Engine.State.GroupState, bool>? keep = wanted is { } state ? g => g.State == state : null;
        var response = new ListStatesResponse();
        response.NextPageToken = await _engine.Query(state =>
        {
            var page = new List<(Protocol.Log.Monitor Monitor, Engine.State.GroupState State)>(Math.Min(pageSize, 1_024));
            var next = state.PageGroupStates(monitorId, keep, from, pageSize, Paging.MaxExaminedPerPage, page);
            foreach (var g in page)
            {
                response.States.Add(new GroupStateInfo
                {
                    MonitorId = g.Monitor.Id,
                    GroupKey = g.State.GroupKey,
                    State = StateNames.Of(g.State.State),
                    Pending = g.State.IsPending,
                    Flapping = g.State.Flapping,
                    Muted = g.State.Muted,
                    SinceUnixMs = g.State.StateSinceMs,
                    LastDataUnixMs = g.State.LastDataMs,
                    TransitionNumber = g.State.TransitionCount,
                });
            }

            return Paging.StatesToken(next);
        }).ConfigureAwait(false);
        return response;
    }

    public override async Task<HistoryResponse> History(HistoryRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Limit is < 0 or > MaxHistoryLimit)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"limit: must be 0 (default {DefaultHistoryLimit}) to {MaxHistoryLimit}, was {request.Limit}"));
        }

        var limit = request.Limit == 0 ? DefaultHistoryLimit : request.Limit;
        var to = request.ToUnixMs == 0 ? long.MaxValue : request.ToUnixMs;
        var items = new List<HistoryItem>(limit);
        _ = _engine.Node.History.CopyAfter(0, e =>
            (request.MonitorId.Length == 0 || e.MonitorId == request.MonitorId)
            && (request.GroupKey.Length == 0 || e.GroupKey == request.GroupKey)
            && e.TimeMs >= request.FromUnixMs && e.TimeMs <= to, items, limit);
        var names = new MonitorNames(_engine);
        await names.Resolve(items).ConfigureAwait(false);
        var response = new HistoryResponse();
        response.Events.AddRange(items.Select(i => ToProto(i, names)));
        return response;
    }

    /// <summary>Sends the remaining events of <paramref name="last"/>'s log index (those after it in history order); returns that index.</summary>
    private static async Task<long> SendRestOfIndex(TransitionHistory history, long index, HistoryItem last, Func<EngineEvent, bool>? filter, MonitorNames names, IServerStreamWriter<TransitionEvent> responses, CancellationToken cancellation)
    {
        var sameIndex = new List<HistoryItem>();
        _ = history.CopyAfter(index - 1, e => e.LogIndex == index && (filter is null || filter(e)), sameIndex, int.MaxValue);
        var at = sameIndex.FindIndex(i => i.Event == last.Event);
        var rest = sameIndex.Skip(at + 1).ToList();
        await names.Resolve(rest).ConfigureAwait(false);
        foreach (var item in rest)
        {
            await responses.WriteAsync(ToProto(item, names), cancellation).ConfigureAwait(false);
        }

        return index;
    }

    private static TransitionEvent ToProto(HistoryItem item, MonitorNames names) =>
        ToProto(item.Event, item.Message, item.Term, names.Of(item.Event.MonitorId));

    /// <summary>The wire form of an engine event with its rendered message (the history's, or a backtest's).</summary>
    internal static TransitionEvent ToProto(EngineEvent e, string message, ulong term, string monitorName)
    {
        var proto = new TransitionEvent
        {
            MonitorId = e.MonitorId,
            GroupKey = e.GroupKey,
            TransitionNumber = e.TransitionNumber,
            PreviousState = StateNames.Of(e.Previous),
            NewState = StateNames.Of(e.Next),
            UnixMs = e.TimeMs,
            LogIndex = (ulong)e.LogIndex,
            Reason = e.ReasonText,
            Pending = (e.Flags & Engine.State.GroupFlags.Pending) != 0,
            Flapping = (e.Flags & Engine.State.GroupFlags.Flapping) != 0,
            Muted = (e.Flags & Engine.State.GroupFlags.Muted) != 0,
            Notify = e.Notify,
            Renotification = e.IsRenotification,
            MonitorName = monitorName,
            Message = message,
            Term = term,
        };
        if (!double.IsNaN(e.Value))
        {
            proto.Value = e.Value;
        }

        if (!double.IsNaN(e.Threshold))
        {
            proto.Threshold = e.Threshold;
        }

        return proto;
    }

    /// <summary>Monitor names by id, fetched from the state machine in one read per batch of unknown ids.</summary>
    private sealed class MonitorNames(EngineCalls engine)
    {
        private readonly Dictionary<string, string> _names = new(StringComparer.Ordinal);

        public string Of(string id) => _names.GetValueOrDefault(id, string.Empty);

        public async Task Resolve(List<HistoryItem> items)
        {
            var unknown = items.Select(i => i.Event.MonitorId).Where(id => !_names.ContainsKey(id)).Distinct().ToArray();
            if (unknown.Length == 0)
            {
                return;
            }

            var found = await engine.Query(state => unknown.Select(id => (id, state.TryGetMonitor(id, out var m) ? m!.Name : string.Empty)).ToArray()).ConfigureAwait(false);
            foreach (var (id, name) in found)
            {
                _names[id] = name;
            }
        }
    }
}
