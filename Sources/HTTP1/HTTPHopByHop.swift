// Which fields describe one connection rather than the message, and so stop at a proxy
// (RFC 9110 §7.6.1): Connection and every field it names, plus Keep-Alive,
// Proxy-Connection, TE, Trailer and Upgrade. Two exceptions keep a forwarded message framed
// as it was received: Connection may not name Host, Content-Length or Transfer-Encoding
// away (a proxy that dropped a Content-Length while forwarding the body raw would hand the
// body to the endpoint as the next request), and Upgrade stays when a tunnel is forwarded.

struct HTTPHopByHop {
    /// The field names the message's Connection fields list, other than those removed
    /// anyway.
    private let connectionOptions: [String]
    private let connectionOptionLengths: UInt64
    private let keepsUpgrade: Bool

    /// The fields of a head, and what that same head's Connection fields list.
    init(fields: [HTTPField], connection: HTTPConnectionOptions, keepsUpgrade: Bool) {
        self.keepsUpgrade = keepsUpgrade
        // Most messages name nothing in Connection but `keep-alive` or `close`: the names
        // removed anyway are not listed again, and the list is not read at all unless it
        // holds something else (`close` included).
        guard connection.namesOtherFields else {
            (connectionOptions, connectionOptionLengths) = ([], 0)
            return
        }
        var options: [String] = []
        _ = fields.anyListElement(named: .connection) { element in
            if !Self.removedAnyway(HTTPFieldName.of(element)) {
                options.append(String(decoding: element, as: UTF8.self))
            }
            return false
        }
        connectionOptions = options
        connectionOptionLengths = options.reduce(0) { $0 | Self.lengthBit($1.utf8.count) }
    }

    /// Whether `field` stops here rather than being forwarded.
    func removes(_ field: HTTPField) -> Bool {
        switch field.knownName {
        case .upgrade: return !keepsUpgrade
        case .host, .contentLength, .transferEncoding: return false
        case let name where Self.removedAnyway(name): return true
        default:
            // A field whose name is as long as no listed name is kept without comparing.
            guard connectionOptionLengths & Self.lengthBit(field.nameCount) != 0 else { return false }
            return connectionOptions.contains(where: field.hasName)
        }
    }

    /// Connection, Keep-Alive, Proxy-Connection, TE, Trailer and Upgrade: decided on
    /// without the Connection list.
    static func removedAnyway(_ name: HTTPFieldName) -> Bool {
        switch name {
        case .connection, .keepAlive, .proxyConnection, .te, .trailer, .upgrade: true
        default: false
        }
    }

    /// Bit n set for a name n bytes long; names of 63 bytes or more share bit 63.
    private static func lengthBit(_ length: Int) -> UInt64 { 1 << UInt64(min(length, 63)) }
}
