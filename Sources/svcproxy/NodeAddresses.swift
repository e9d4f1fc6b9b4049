// The node's addresses, read from its interfaces, as the configuration module's type, and
// its name (kube-proxy's default node name: the host name, lowercased).
import Glibc
import LinuxIO
import ProxyEngine
import ServiceConfig

enum NodeAddresses {
    static func current() -> [IPAddress] {
        ((try? NetworkInterfaces.addresses()) ?? []).compactMap { IPAddress($0) }
    }

    /// The addresses on the node that carry svcproxy's marks (ClusterIPAddresses.swift):
    /// planning leaves them out of the node addresses a LoadBalancer is served on. None
    /// where the addresses cannot be listed or the kernel keeps no mark (before 5.18); the
    /// ClusterIP ranges and pools still keep most of them out there.
    static func marked() -> MarkedNodeAddresses {
        var marked = MarkedNodeAddresses()
        for record in (try? RouteNetlink.addresses()) ?? [] {
            guard let ip = IPAddress(networkOrder: record.address) else { continue }
            switch record.protocolNumber {
            case ClusterIPAddresses.addressProtocol: marked.serviceAddresses.insert(ip)
            case ClusterIPAddresses.loadBalancerAddressProtocol: marked.loadBalancerAddresses.insert(ip)
            default: continue
            }
        }
        return marked
    }

    /// gethostname(2), lowercased as kube-proxy does; empty if it cannot be read.
    static func hostname() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "" }
        let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        return String(decoding: bytes, as: UTF8.self).lowercased()
    }
}
