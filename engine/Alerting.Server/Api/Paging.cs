using System.Buffers.Binary;
using System.Text;
using Alerting.Engine.StateMachine;
using Grpc.Core;

namespace Alerting.Server.Api;

/// <summary>
/// Page sizes and page tokens of the list calls. A token is opaque to clients: base64url of a
/// kind byte (which call gave it), the monitor slot to resume at and, for group states, the group
/// key to continue after. Resuming costs the page, not what came before it.
/// </summary>
public static class Paging
{
    public const int DefaultPageSize = 1_000;

    public const int MaxPageSize = 10_000;

    /// <summary>Most slots and groups one page looks at; with a filter a page may come back short (even empty) with a next token.</summary>
    public const int MaxExaminedPerPage = 100_000;

    /// <summary>
    /// Most encoded monitor definitions in one Monitors.List page: a page of up to
    /// <see cref="MaxPageSize"/> definitions of up to 64 KiB each would pass the message limit
    /// (16 MiB by default), so a page stops short of this many bytes (it always holds one monitor).
    /// </summary>
    public const int MaxMonitorPageBytes = 4 * 1024 * 1024;

    private const byte StatesKind = (byte)'S';
    private const byte MonitorsKind = (byte)'M';

    /// <exception cref="RpcException">INVALID_ARGUMENT naming page_size.</exception>
    public static int PageSize(int requested) => requested is < 0 or > MaxPageSize
        ? throw Invalid($"page_size: must be 0 (default {DefaultPageSize}) to {MaxPageSize}, was {requested}")
        : requested == 0 ? DefaultPageSize : requested;

    public static string StatesToken(ListPosition? next) => next is { } position ? Encode(StatesKind, position.Slot, position.AfterKey) : "";

    public static string MonitorsToken(int? nextSlot) => nextSlot is { } slot ? Encode(MonitorsKind, slot, null) : "";

    /// <exception cref="RpcException">INVALID_ARGUMENT naming page_token.</exception>
    public static ListPosition StatesPosition(string token)
    {
        if (token.Length == 0)
        {
            return new ListPosition(0, null);
        }

        var (slot, key) = Decode(token, StatesKind, "ListStates");
        return new ListPosition(slot, key);
    }

    /// <exception cref="RpcException">INVALID_ARGUMENT naming page_token.</exception>
    public static int MonitorsSlot(string token) => token.Length == 0 ? 0 : Decode(token, MonitorsKind, "Monitors.List").Slot;

    private static string Encode(byte kind, int slot, string? key)
    {
        var keyBytes = key is null ? 0 : Encoding.UTF8.GetByteCount(key);
        var bytes = new byte[1 + 4 + 1 + keyBytes];
        bytes[0] = kind;
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(1), slot);
        bytes[5] = key is null ? (byte)0 : (byte)1;
        if (key is not null)
        {
            Encoding.UTF8.GetBytes(key, bytes.AsSpan(6));
        }

        return Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    private static (int Slot, string? Key) Decode(string token, byte kind, string call)
    {
        var bad = Invalid($"page_token: not a next_page_token of {call} (pass it back unchanged, or empty for the first page)");
        var base64 = token.Replace('-', '+').Replace('_', '/');
        base64 += new string('=', (4 - (base64.Length % 4)) % 4);
        byte[] bytes;
        try
        {
            bytes = Convert.FromBase64String(base64);
        }
        catch (FormatException)
        {
            throw bad;
        }

        if (bytes.Length < 6 || bytes[0] != kind || bytes[5] > 1 || (bytes[5] == 0 && bytes.Length != 6))
        {
            throw bad;
        }

        var slot = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(1));
        if (slot < 0)
        {
            throw bad;
        }

        if (bytes[5] == 0)
        {
            return (slot, null);
        }

        try
        {
            return (slot, new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes, 6, bytes.Length - 6));
        }
        catch (ArgumentException)
        {
            throw bad;
        }
    }

    private static RpcException Invalid(string message) => new(new Status(StatusCode.InvalidArgument, message));
}
