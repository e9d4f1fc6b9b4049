// The upstream servers, read from the node's resolv.conf (resolv.conf(5)), as the forwarder
// uses them: `nameserver` lines in order, IPv4 and IPv6.
import ServiceConfig

public enum ResolvConf {
    /// The addresses of the `nameserver` lines, in order; an IPv6 zone (`%eth0`) is dropped,
    /// comments (`#`, `;`) and lines that do not parse are ignored.
    public static func nameservers(_ text: String) -> [IPAddress] {
        var servers: [IPAddress] = []
        for line in text.split(whereSeparator: { $0 == "\n" || $0 == "\r" }) {
            let content = line.prefix { $0 != "#" && $0 != ";" }
            let fields = content.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard fields.count >= 2, fields[0] == "nameserver" else { continue }
            let address = fields[1].prefix { $0 != "%" }
            if let server = IPAddress(String(address)) { servers.append(server) }
        }
        return servers
    }
}
