// A `ports` entry of a NetworkPolicy rule as traffic is matched against it, in both
// directions: its protocol (TCP when left out, as the API server defaults it) and a port
// number, a range up to `endPort`, a named port, or every port. A named port is looked up
// on the pod the traffic goes to (the endpoint's pod), among its container ports of that
// protocol, as network plugins resolve it for ingress and egress alike: two pods may give
// one name two numbers, and each is matched at its own.

public struct PolicyPortMatch: Hashable, Sendable, CustomStringConvertible {
    public enum Ports: Hashable, Sendable {
        case all
        case range(ClosedRange<Int>)
        case named(String)
    }

    /// Nil for a protocol svcproxy does not know, which no traffic matches (validation
    /// rejects it before a plan is made).
    public let transport: TransportProtocol?
    public let ports: Ports

    public init(_ entry: NetworkPolicyPort) {
        transport = TransportProtocol(rawValue: entry.protocol ?? TransportProtocol.tcp.rawValue)
        switch entry.port {
        case nil: ports = .all
        case .int(let first)?: ports = .range(first...max(first, entry.endPort ?? first))
        case .string(let name)?: ports = .named(name)
        }
    }

    /// Whether traffic to port `number` over `transport` matches, at a pod whose container
    /// ports of that number and protocol are named `portNames`.
    @inline(__always)
    public func matches(_ number: Int, _ transport: TransportProtocol, portNames: [String]) -> Bool {
        guard transport == self.transport else { return false }
        switch ports {
        case .all: return true
        case .range(let range): return range.contains(number)
        case .named(let name): return portNames.contains(name)
        }
    }

    /// "TCP 80", "UDP 8000-9000", "TCP port http" or "TCP" (every port).
    public var description: String {
        let name = transport?.rawValue ?? "?"
        switch ports {
        case .all: return name
        case .range(let range): return range.count == 1 ? "\(name) \(range.lowerBound)" : "\(name) \(range.lowerBound)-\(range.upperBound)"
        case .named(let port): return "\(name) port \(port)"
        }
    }
}

extension Pod {
    /// The names of the container ports at `number` over `transport`: what a named port
    /// of a policy rule matches at this pod.
    func portNames(at number: Int, _ transport: TransportProtocol) -> [String] {
        ports.filter { $0.containerPort == number && $0.protocol == transport && !$0.name.isEmpty }.map(\.name)
    }
}
