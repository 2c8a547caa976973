using System.Globalization;
using Alerting.Engine.Pipeline;
using Alerting.Replication;
using Alerting.Server.Hosting;

namespace Alerting.Server.Replication;

/// <summary>The cluster as <see cref="ServerOptions.Peers"/> describes it: this node's id, the voters and their gRPC addresses.</summary>
public sealed class ClusterSettings
{
    private ClusterSettings(int selfId, ClusterConfig config, IReadOnlyDictionary<int, Uri> addresses)
    {
        SelfId = selfId;
        Config = config;
        Addresses = addresses;
    }

    public int SelfId { get; }

    public ClusterConfig Config { get; }

    /// <summary>Every voter's gRPC address, this node's included.</summary>
    public IReadOnlyDictionary<int, Uri> Addresses { get; }

    public MemberKind SelfKind => Config.KindOf(SelfId);

    /// <summary>Parses and checks the cluster options.</summary>
    /// <exception cref="ServerOptionsException">The peers, node id, witness or role do not agree; the message says which.</exception>
    public static ClusterSettings From(ServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var addresses = new SortedDictionary<int, Uri>();
        foreach (var part in options.Peers.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = part.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0
                || !int.TryParse(part.AsSpan(0, equals), NumberStyles.None, CultureInfo.InvariantCulture, out var id)
                || id <= 0
                || !Uri.TryCreate(part[(equals + 1)..], UriKind.Absolute, out var address)
                || address.Scheme is not ("http" or "https"))
            {
                throw new ServerOptionsException($"Peers entry \"{part}\" is not id=address (a positive id and an http:// or https:// gRPC address), e.g. 1=http://127.0.0.1:7101");
            }

            if (!addresses.TryAdd(id, address))
            {
                throw new ServerOptionsException($"Peers names node {id} twice");
            }
        }

        if (addresses.Count is < 2 or > ClusterConfig.MaxVoters)
        {
            throw new ServerOptionsException($"Peers must name 2 to {ClusterConfig.MaxVoters} voters (this node included), got {addresses.Count}");
        }

        if (!int.TryParse(options.NodeId, NumberStyles.None, CultureInfo.InvariantCulture, out var self) || !addresses.ContainsKey(self))
        {
            throw new ServerOptionsException($"NodeId \"{options.NodeId}\" must be this node's id among Peers ({string.Join(", ", addresses.Keys)})");
        }

        if (options.WitnessId != 0 && !addresses.ContainsKey(options.WitnessId))
        {
            throw new ServerOptionsException($"WitnessId {options.WitnessId} is not among Peers ({string.Join(", ", addresses.Keys)})");
        }

        if (options.ApiKeys.Count > 0)
        {
            throw new ServerOptionsException("replication between members does not carry API keys yet: run the cluster without ApiKeys (which binds loopback only)");
        }

        var selfIsWitness = self == options.WitnessId;
        if (selfIsWitness != (options.Role == NodeRole.Witness))
        {
            throw new ServerOptionsException(selfIsWitness
                ? $"node {self} is the cluster's witness (WitnessId): start it with --role witness"
                : $"--role witness needs --witness {self}: the other members must know node {self} stores no data");
        }

        var config = new ClusterConfig(addresses.Keys.Select(id => new ClusterMember(id, id == options.WitnessId ? MemberKind.Witness : MemberKind.Data)));
        return new ClusterSettings(self, config, addresses);
    }
}
