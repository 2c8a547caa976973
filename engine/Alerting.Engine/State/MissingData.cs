namespace Alerting.Engine.State;

/// <summary>Datadog <c>on_missing_data</c>: what an evaluation whose window holds no data does.</summary>
public enum MissingData : byte
{
    /// <summary><c>default</c>: the group keeps its state (<c>notify_no_data</c> may still apply after its timeframe).</summary>
    Default = 0,

    /// <summary><c>show_no_data</c>: the group goes to NO DATA; that transition does not notify.</summary>
    ShowNoData = 1,

    /// <summary><c>show_and_notify_no_data</c>: the group goes to NO DATA and notifies.</summary>
    ShowAndNotifyNoData = 2,

    /// <summary><c>resolve</c>: the group resolves to OK.</summary>
    Resolve = 3,
}
