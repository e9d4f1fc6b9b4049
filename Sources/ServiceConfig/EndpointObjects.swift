// The objects a service's endpoints come from: Endpoints (v1), EndpointSlices
// (discovery.k8s.io/v1) and, for a service with a selector, its Pods. Plain values, each
// remembering where it was written.

public struct EndpointPort: Hashable, Sendable {
    public var name: String = ""
    public var port: Int = 0
    public var `protocol`: TransportProtocol = .tcp
}

public struct EndpointSubset: Hashable, Sendable {
    /// Ready addresses; `notReadyAddresses` are read but never served.
    public var addresses: [IPAddress] = []
    public var notReadyAddresses: [IPAddress] = []
    /// `addresses[].hostname` where one is written: the address's name in the cluster DNS.
    public var hostnames: [IPAddress: String] = [:]
    /// `addresses[].nodeName` where one is written: the node the address is on, which
    /// the traffic policies compare with this node's name.
    public var nodeNames: [IPAddress: String] = [:]
    /// What `addresses[].targetRef` says of the pod behind each of `addresses`, in their
    /// order; empty when no address has one. (Kept compact: a cluster's Endpoints carry one
    /// per address.)
    public var addressPods: [PodReference] = []
    public var ports: [EndpointPort] = []
}

public struct Endpoints: Hashable, Sendable {
    public var key: ObjectKey
    public var source: ObjectSource
    public var subsets: [EndpointSubset] = []

    public var label: String { "Endpoints \"\(key)\"" }
}

/// One endpoint of a slice, its conditions defaulted as the API documents them: `ready`
/// and `serving` absent mean true (as kube-proxy reads them), `terminating` absent means
/// not terminating.
public struct SliceEndpoint: Hashable, Sendable {
    public var addresses: [String] = []
    public var ready = true
    public var serving = true
    public var terminating = false
    /// `hostname`: the endpoint's name in the cluster DNS, under its headless Service.
    public var hostname: String?
    /// `nodeName`: the node the endpoint is on (for the traffic policies).
    public var nodeName: String?
    /// What `targetRef` says of the pod behind the endpoint.
    public var pod = PodReference.unnamed
}

public struct EndpointSlice: Hashable, Sendable {
    /// The label that joins a slice to its Service.
    public static let serviceNameLabel = "kubernetes.io/service-name"

    public var key: ObjectKey
    public var source: ObjectSource
    /// IPv4, IPv6 or FQDN (FQDN slices are valid but never served).
    public var addressType: String = ""
    public var labels: [String: String] = [:]
    public var endpoints: [SliceEndpoint] = []
    /// A nil port number means "all ports" in the API; svcproxy needs a number to connect.
    public var ports: [EndpointPort] = []

    public var label: String { "EndpointSlice \"\(key)\"" }
    public var serviceName: String? { labels[Self.serviceNameLabel] }
}

/// A named port a container declares (`spec.containers[].ports[]`).
public struct ContainerPort: Hashable, Sendable {
    public var name: String = ""
    public var containerPort: Int = 0
    public var `protocol`: TransportProtocol = .tcp
}

/// The parts of a Pod the endpoints controller reads.
public struct Pod: Hashable, Sendable {
    public var key: ObjectKey
    public var source: ObjectSource
    public var labels: [String: String] = [:]
    /// `status.podIPs`, or `status.podIP` alone; parsed, in the order written.
    public var ips: [IPAddress] = []
    /// The `Ready` condition is "True".
    public var ready = false
    /// `status.phase` is Succeeded or Failed: never an endpoint.
    public var finished = false
    /// `metadata.deletionTimestamp` is set: while it stays Ready, the endpoint is serving
    /// and terminating, used only when its Service has no ready endpoint left.
    public var deleting = false
    /// Finished or being deleted: never a ready endpoint (unless its Service publishes
    /// not-ready addresses) nor a NetworkPolicy peer.
    public var terminated: Bool { finished || deleting }
    public var ports: [ContainerPort] = []
    /// `spec.hostname` and `spec.subdomain`: with a subdomain naming a headless Service of
    /// its namespace, the Pod is `<hostname>.<subdomain>.<ns>.svc.<zone>` in the cluster DNS.
    public var hostname: String?
    public var subdomain: String?
    /// `spec.nodeName`: the node the Pod runs on (for the traffic policies).
    public var nodeName: String?
    /// `spec.hostNetwork`: the Pod uses the node's network and addresses, which it shares
    /// with the node itself and every other such Pod.
    public var hostNetwork = false
    /// A selector join may take it as a Service's endpoint (EndpointJoin): a Pod from a file.
    /// A Pod from the API serves NetworkPolicy alone (policyOnly()).
    public var joinsSelectors = true

    public var label: String { "Pod \"\(key)\"" }
}

extension Pod {
    /// Whether the EndpointSlice controller makes the Pod a ready endpoint (podToEndpoint):
    /// Ready and not being deleted, or any Pod not finished when its Service publishes
    /// not-ready addresses.
    func isReadyEndpoint(publishNotReady: Bool) -> Bool {
        !finished && (publishNotReady || (ready && !deleting))
    }

    /// Ready while being deleted: the controller writes it serving and terminating.
    var isServingTerminating: Bool { !finished && ready && deleting }

    /// The Pod as NetworkPolicy reads it (a Pod from the API): its key, labels, addresses,
    /// named ports, and whether it is live or a hostNetwork pod. It joins no selector: the
    /// API's Services have EndpointSlices, which the EndpointSlice controller made from these
    /// very Pods, and kube-proxy reads those. What only a selector join or the cluster DNS
    /// would read (its node, hostname, readiness) is not kept, of every pod of the cluster.
    func policyOnly() -> Pod {
        var pod = self
        pod.joinsSelectors = false
        pod.ready = false
        pod.hostname = nil
        pod.subdomain = nil
        pod.nodeName = nil
        return pod
    }
}
