// Which of a service port's endpoints each traffic policy sends to, by kube-proxy's rules
// (CategorizeEndpoints, pkg/proxy/topology.go, without topology hints): a Cluster policy
// takes every ready endpoint, a Local policy every ready endpoint on this node. Where a
// policy finds none, it takes the endpoints that are not ready but still serving while
// they terminate (KEP-1669), each policy on its own: a node whose own Pods are all
// terminating keeps serving its Local traffic with them while ClusterIP traffic goes to
// the ready Pods elsewhere. The health-check NodePort counts local ready endpoints only,
// so that a load balancer drains a node that has nothing but terminating ones.

struct EndpointCategories {
    /// Where traffic under a Cluster policy goes.
    let cluster: [Endpoint]
    /// Where traffic under a Local policy goes: some may not be in `cluster` (local
    /// terminating ones, when ready ones exist elsewhere). Without a Local policy, which
    /// of `cluster` are on this node.
    let local: [Endpoint]
    /// The endpoints in either list only because no ready one was left for it.
    let servingTerminating: Set<Endpoint>
    /// The IPs of the ready endpoints on this node, for the health-check NodePort.
    let localReadyIPs: Set<IPAddress>
    /// Every endpoint still serving, ready or terminating, whether a policy sends to it or
    /// not: flows to these outlive a reload (kube-proxy keeps their conntrack entries).
    let serving: Set<Endpoint>

    /// `located` in round-robin order; `isLocal` says whether one is on this node;
    /// `localPolicy`: a Local traffic policy applies to some of the port's addresses.
    init(_ located: [LocatedEndpoint], localPolicy: Bool, isLocal: (LocatedEndpoint) -> Bool) {
        let ready = located.filter(\.ready)
        let fallback = located.filter { !$0.ready }
        let localReady = ready.filter(isLocal)
        let clusterSide = ready.isEmpty ? fallback : ready
        let localSide = !localPolicy ? clusterSide.filter(isLocal) : localReady.isEmpty ? fallback.filter(isLocal) : localReady
        cluster = clusterSide.map(\.endpoint)
        local = localSide.map(\.endpoint)
        servingTerminating = Set((clusterSide + localSide).filter { !$0.ready }.map(\.endpoint))
        localReadyIPs = Set(localReady.map(\.endpoint.ip))
        serving = Set(located.map(\.endpoint))  // located holds only the ready and the serving ones
    }
}
