namespace Alerting.Engine.Tests;

/// <summary>
/// <see cref="SmallIntList"/> (a group's series, a lone one held inline) against <see cref="List{T}"/>
/// as the model: random inserts, appends and removals, the same items, order, searches and span.
/// </summary>
public sealed class SmallIntListTests
{
    /// <summary>Set to a seed printed by a failure to replay only that case.</summary>
    private const int ReplaySeed = 0;

    [Fact]
    public void Behaves_as_a_list_through_random_changes()
    {
        var seeds = ReplaySeed != 0 ? [ReplaySeed] : Enumerable.Range(1, 500).ToArray();
        foreach (var seed in seeds)
        {
            var rng = new Random(seed);
            var model = new List<int>();
            var list = new SmallIntList();
            for (var step = 0; step < 40; step++)
            {
                // Mostly stays at zero to two items, where the inline item and the array meet.
                if (model.Count > 0 && rng.Next(model.Count <= 2 ? 2 : 3) == 0)
                {
                    var at = rng.Next(model.Count);
                    model.RemoveAt(at);
                    list.RemoveAt(at);
                }
                else
                {
                    var item = rng.Next(100);
                    var at = rng.Next(model.Count + 1);
                    model.Insert(at, item);
                    list.Insert(at, item);
                }

                var context = $"seed {seed}, step {step}: model [{string.Join(", ", model)}], list [{string.Join(", ", list)}]";
                Assert.True(model.SequenceEqual(list.AsSpan().ToArray()), context);
                Assert.Equal(model.Count, list.Count);
                for (var i = 0; i < model.Count; i++)
                {
                    Assert.True(model[i] == list[i], context);
                }

                var probe = rng.Next(100);
                var sorted = new SmallIntList();
                foreach (var item in model.Order())
                {
                    sorted.Add(item);
                }

                Assert.True(Math.Sign(model.Order().ToList().BinarySearch(probe)) == Math.Sign(sorted.BinarySearch(probe)), context);
            }
        }
    }

    [Fact]
    public void Lone_item_is_read_as_a_span_of_one_and_bad_indexes_are_refused()
    {
        SmallIntList list = [7];
        Assert.Equal([7], list.AsSpan().ToArray());
        Assert.Equal(7, list[^1]);
        Assert.Equal(0, list.BinarySearch(7));
        Assert.Equal(~1, list.BinarySearch(9));
        Assert.Throws<ArgumentOutOfRangeException>(() => list[1]);
        Assert.Throws<ArgumentOutOfRangeException>(() => list.Insert(2, 1));
        list.RemoveAt(0);
        Assert.Empty(list);
        Assert.True(list.AsSpan().IsEmpty);
        Assert.Throws<ArgumentOutOfRangeException>(() => list.RemoveAt(0));
    }
}
