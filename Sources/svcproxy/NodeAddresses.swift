// The node's addresses, read from its interfaces, as the configuration module's type, and
// its name (kube-proxy's default node name: the host name, lowercased).
import Glibc
import LinuxIO
import ServiceConfig

enum NodeAddresses {
    static func current() -> [IPAddress] {
        ((try? NetworkInterfaces.addresses()) ?? []).compactMap { IPAddress($0) }
    }

    /// gethostname(2), lowercased as kube-proxy does; empty if it cannot be read.
    static func hostname() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "" }
        let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        return String(decoding: bytes, as: UTF8.self).lowercased()
    }
}
