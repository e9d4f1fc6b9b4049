// The node's addresses, read from its interfaces, as the configuration module's type.
import LinuxIO
import ServiceConfig

enum NodeAddresses {
    static func current() -> [IPAddress] {
        ((try? NetworkInterfaces.addresses()) ?? []).compactMap { IPAddress($0) }
    }
}
