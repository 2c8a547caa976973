using Alerting.Engine.Pipeline;
using CsCheck;
using Microsoft.Extensions.Time.Testing;

namespace Alerting.Engine.Tests.Pipeline;

/// <summary>
/// Write admission (issue 7): random sequences of writes from a few clients, releases and
/// cancellations, checked step by step against a plain model (per-client FIFO lanes taking turns
/// round robin, one write per turn, admitted while the backlog fits the budget or is empty).
/// </summary>
/// <remarks>CsCheck prints the failing seed and case; replay it by setting the <c>CsCheck_Seed</c> environment variable.</remarks>
public sealed class WriteAdmissionTests
{
    [Fact]
    public void Admission_order_backlog_and_refusals_match_the_round_robin_model()
    {
        var op =
            from kind in Gen.Int[0, 9]
            from client in Gen.Int[0, 3]
            from cost in Gen.Long[1, 6]
            from pick in Gen.Int[0, 1_000]
            select new Op(kind, client, cost, pick);
        var gen =
            from budget in Gen.Long[0, 12]
            from maxWaiting in Gen.Int[0, 8]
            from ops in op.Array[1, 80]
            select new Case(budget, maxWaiting, ops);

        gen.Sample(Run, iter: 3_000, print: c => c.ToString());
    }

    [Fact]
    public async Task One_client_with_many_writes_waiting_lets_another_in_every_other_turn()
    {
        var admission = new WriteAdmission(budgetNanos: 0, maxWaiting: 100, TimeSpan.FromHours(1), new FakeTimeProvider());
        var first = admission.AdmitAsync("big", 10).AsTask();
        Assert.True(first.IsCompletedSuccessfully);
        var big = Enumerable.Range(0, 10).Select(_ => admission.AdmitAsync("big", 10).AsTask()).ToList();
        var small = admission.AdmitAsync("small", 1).AsTask();
        Assert.Equal(11, admission.Waiting);

        // One at a time (budget 0): the big lane's head, then the small write, then the big rest.
        admission.Release(await first);
        Assert.True(big[0].IsCompletedSuccessfully);
        Assert.False(small.IsCompleted);
        admission.Release(await big[0]);
        Assert.True(small.IsCompletedSuccessfully);
        Assert.False(big[1].IsCompleted);
        Assert.Equal(1, admission.BacklogNanos);
    }

    [Fact]
    public async Task Abandoned_waiters_and_their_lanes_leave_at_once_while_the_backlog_is_stalled()
    {
        // An apply stall: one ticket held, and the "front" client always has a live write at the head
        // of the round (a new one every 5 s, each waiting 10 s), so Dispatch never gets past it. Behind
        // it, every 5 s a new client's write is cancelled (its connection closed) and another new
        // client's write times out. The wait queue's memory stays bounded by MaxWaiting all along.
        const int maxWaiting = 5;
        var time = new FakeTimeProvider();
        var admission = new WriteAdmission(budgetNanos: 5, maxWaiting, TimeSpan.FromSeconds(10), time);
        var held = await admission.AdmitAsync("held", 5);
        var fronts = new List<Task<AdmissionTicket>>();
        var lates = new List<Task<AdmissionTicket>>();
        for (var i = 0; i < 10 * maxWaiting; i++)
        {
            fronts.Add(admission.AdmitAsync("front", 5).AsTask());
            using var closed = new CancellationTokenSource();
            var cancelled = admission.AdmitAsync($"closed-{i}", 1, closed.Token).AsTask();
            lates.Add(admission.AdmitAsync($"late-{i}", 1).AsTask());
            await closed.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
            time.Advance(TimeSpan.FromSeconds(5));
            Assert.True(admission.QueuedEntries <= maxWaiting + 1, $"{admission.QueuedEntries} entries queued after step {i}");
            Assert.True(admission.Lanes <= maxWaiting + 1, $"{admission.Lanes} lanes held after step {i}");
            Assert.Equal(admission.Waiting, admission.QueuedEntries);
        }

        // Every write but the newest two fronts and lates timed out; none was admitted.
        foreach (var late in lates.Take(lates.Count - 1).Concat(fronts.Take(fronts.Count - 1)))
        {
            Assert.Equal(AdmissionRefusal.TimedOut, (await Assert.ThrowsAsync<AdmissionRefusedException>(() => late)).Reason);
        }

        Assert.Equal(2, admission.Waiting);
        Assert.Equal(2, admission.Lanes);
        admission.Release(held);
        Assert.Equal(5, (await fronts[^1]).CostNanos);
        time.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(AdmissionRefusal.TimedOut, (await Assert.ThrowsAsync<AdmissionRefusedException>(() => lates[^1])).Reason);
        Assert.Equal(0, admission.Waiting);
        Assert.Equal(0, admission.QueuedEntries);
        Assert.Equal(0, admission.Lanes);
    }

    [Fact]
    public async Task A_write_waiting_longer_than_the_limit_is_refused_and_leaves_the_queue()
    {
        var time = new FakeTimeProvider();
        var admission = new WriteAdmission(budgetNanos: 5, maxWaiting: 1, TimeSpan.FromSeconds(2), time);
        var held = await admission.AdmitAsync("a", 5);
        var waiting = admission.AdmitAsync("b", 1).AsTask();
        AdmissionRefusedException? full = null;
        try
        {
            _ = admission.AdmitAsync("c", 1).AsTask();
        }
        catch (AdmissionRefusedException e)
        {
            full = e;
        }

        Assert.NotNull(full);
        Assert.Equal(AdmissionRefusal.QueueFull, full.Reason);
        Assert.Contains("1 writes already wait", full.Message, StringComparison.Ordinal);

        time.Advance(TimeSpan.FromSeconds(2));
        var timedOut = await Assert.ThrowsAsync<AdmissionRefusedException>(() => waiting);
        Assert.Equal(AdmissionRefusal.TimedOut, timedOut.Reason);
        Assert.Equal(0, admission.Waiting);
        Assert.Equal(1, admission.RefusedQueueFull);
        Assert.Equal(1, admission.RefusedTimedOut);

        admission.Release(held);
        Assert.Equal(0, admission.BacklogNanos);
        Assert.True(admission.AdmitAsync("b", 1).AsTask().IsCompletedSuccessfully);
    }

    private static void Run(Case c)
    {
        var admission = new WriteAdmission(c.Budget, c.MaxWaiting, TimeSpan.FromHours(1), new FakeTimeProvider());
        var model = new Model(c.Budget, c.MaxWaiting);
        var live = new List<(int Id, Task<AdmissionTicket> Task, CancellationTokenSource Cancel)>();
        var admitted = new List<(int Id, AdmissionTicket Ticket)>();
        var next = 0;
        for (var step = 0; step < c.Ops.Length; step++)
        {
            var op = c.Ops[step];
            if (op.Kind <= 4)
            {
                var id = next++;
                var client = "c" + op.Client;
                var expectRefused = !model.Admit(id, client, op.Cost);
                var cancel = new CancellationTokenSource();
                try
                {
                    live.Add((id, admission.AdmitAsync(client, op.Cost, cancel.Token).AsTask(), cancel));
                    Assert.False(expectRefused, $"step {step}: write {id} admitted or queued, the model refuses it");
                }
                catch (AdmissionRefusedException e)
                {
                    Assert.True(expectRefused, $"step {step}: write {id} refused ({e.Reason}), the model queues it");
                    Assert.Equal(AdmissionRefusal.QueueFull, e.Reason);
                    cancel.Dispose();
                }
            }
            else if (op.Kind <= 7)
            {
                if (admitted.Count > 0)
                {
                    var i = op.Pick % admitted.Count;
                    var (id, ticket) = admitted[i];
                    admitted.RemoveAt(i);
                    model.Release(id);
                    admission.Release(ticket);
                }
            }
            else
            {
                var waiting = live.FindAll(l => !l.Task.IsCompleted);
                if (waiting.Count > 0)
                {
                    var (id, _, cancel) = waiting[op.Pick % waiting.Count];
                    model.Cancel(id);
                    cancel.Cancel();
                }
            }

            // Every write the model admitted by now is admitted, and no other; cancelled ones are cancelled.
            foreach (var (id, task, cancel) in live.ToList())
            {
                if (!task.IsCompleted)
                {
                    Assert.False(model.IsAdmitted(id), $"step {step}: write {id} still waits, the model admitted it");
                    continue;
                }

                live.RemoveAll(l => l.Id == id);
                cancel.Dispose();
                if (task.IsCanceled || task.IsFaulted)
                {
                    Assert.True(model.IsCancelled(id), $"step {step}: write {id} ended {task.Status}, the model did not cancel it");
                    continue;
                }

                Assert.True(model.IsAdmitted(id), $"step {step}: write {id} admitted, the model keeps it waiting");
                admitted.Add((id, task.Result));
            }

            Assert.Equal(model.Backlog, admission.BacklogNanos);
            Assert.Equal(model.WaitingCount, admission.Waiting);
        }
    }

    private sealed record Op(int Kind, int Client, long Cost, int Pick)
    {
        public override string ToString() => Kind <= 4 ? $"admit c{Client} {Cost}" : Kind <= 7 ? $"release #{Pick}" : $"cancel #{Pick}";
    }

    private sealed record Case(long Budget, int MaxWaiting, Op[] Ops)
    {
        public override string ToString() => $"budget {Budget}, max waiting {MaxWaiting}: {string.Join("; ", Ops.Select(o => o.ToString()))}";
    }

    /// <summary>
    /// The rule written plainly: writes wait in arrival order per client; the clients with waiting
    /// writes form a round in the order they started waiting; the round's first client's oldest write
    /// is admitted if it fits (backlog + cost ≤ budget, or the backlog is empty), and that client goes
    /// to the end of the round if it has more. Nothing overtakes a head that does not fit.
    /// </summary>
    private sealed class Model(long budget, int maxWaiting)
    {
        private readonly List<(int Id, string Client, long Cost)> _waiting = [];
        private readonly List<string> _round = [];
        private readonly Dictionary<int, long> _admitted = [];
        private readonly HashSet<int> _cancelled = [];

        public long Backlog { get; private set; }

        public int WaitingCount => _waiting.Count;

        public bool IsAdmitted(int id) => _admitted.ContainsKey(id);

        public bool IsCancelled(int id) => _cancelled.Contains(id);

        /// <summary>False when refused.</summary>
        public bool Admit(int id, string client, long cost)
        {
            if (_waiting.Count == 0 && Fits(cost))
            {
                _admitted[id] = cost;
                Backlog += cost;
                return true;
            }

            if (_waiting.Count >= maxWaiting)
            {
                return false;
            }

            _waiting.Add((id, client, cost));
            if (!_round.Contains(client))
            {
                _round.Add(client);
            }

            return true;
        }

        public void Release(int id)
        {
            Backlog -= _admitted[id];
            Dispatch();
        }

        public void Cancel(int id)
        {
            var client = _waiting.Find(w => w.Id == id).Client;
            _waiting.RemoveAll(w => w.Id == id);
            _cancelled.Add(id);
            if (client is not null && !_waiting.Exists(w => w.Client == client))
            {
                // A client left with no waiting write leaves the round at once: it re-enters at the end.
                _round.Remove(client);
            }

            Dispatch();
        }

        private bool Fits(long cost) => Backlog == 0 || Backlog + cost <= budget;

        private void Dispatch()
        {
            while (_round.Count > 0)
            {
                var client = _round[0];
                var head = _waiting.FindIndex(w => w.Client == client);
                if (head < 0)
                {
                    _round.RemoveAt(0);
                    continue;
                }

                var (id, _, cost) = _waiting[head];
                if (!Fits(cost))
                {
                    return;
                }

                _waiting.RemoveAt(head);
                _admitted[id] = cost;
                Backlog += cost;
                _round.RemoveAt(0);
                if (_waiting.Exists(w => w.Client == client))
                {
                    _round.Add(client);
                }
            }
        }
    }
}
