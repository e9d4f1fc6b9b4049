// Which fields describe one connection rather than the message, and so stop at a proxy
// (RFC 9110 §7.6.1): Connection and every field it names, plus Keep-Alive,
// Proxy-Connection, TE, Trailer and Upgrade. Two exceptions keep a forwarded message framed
// as it was received: Connection may not name Host, Content-Length or Transfer-Encoding
// away (a proxy that dropped a Content-Length while forwarding the body raw would hand the
// body to the endpoint as the next request), and Upgrade stays when a tunnel is forwarded.

struct HTTPHopByHop {
    private static let alwaysRemoved = ["Connection", "Keep-Alive", "Proxy-Connection", "TE", "Trailer"]
    private static let neverRemoved = ["Host", "Content-Length", "Transfer-Encoding"]
    /// The lengths of the names above and Upgrade's: a field whose name has none of them,
    /// nor that of a name Connection lists, is kept without comparing names (most fields:
    /// Date, Content-Type, ETag, ... are kept on their length alone).
    private static let removableLengths = lengthMask(removedAnyway)
    /// Names whose fields `removes` decides on without the Connection list.
    private static let removedAnyway = alwaysRemoved + ["Upgrade"]

    /// The field names the message's Connection fields list.
    private let connectionOptions: [String]
    private let connectionOptionLengths: UInt64
    private let keepsUpgrade: Bool

    init(fields: [HTTPField], keepsUpgrade: Bool) {
        // Most messages name nothing in Connection but `keep-alive` or `close`: the names
        // removed anyway are not listed again, which leaves at most `close` to list.
        var options: [String] = []
        _ = fields.anyListElement(named: "Connection") { element in
            if !Self.removedAnyway.contains(where: { HTTPBytes.equalIgnoringCase(element, $0.utf8) }) {
                options.append(String(decoding: element, as: UTF8.self))
            }
            return false
        }
        connectionOptions = options
        connectionOptionLengths = Self.lengthMask(connectionOptions)
        self.keepsUpgrade = keepsUpgrade
    }

    /// Whether `field` stops here rather than being forwarded.
    func removes(_ field: HTTPField) -> Bool {
        guard (Self.removableLengths | connectionOptionLengths) & Self.lengthBit(field.nameCount) != 0 else { return false }
        if field.hasName("Upgrade") { return !keepsUpgrade }
        if Self.alwaysRemoved.contains(where: field.hasName) { return true }
        return connectionOptions.contains(where: field.hasName) && !Self.neverRemoved.contains(where: field.hasName)
    }

    /// Bit n set for a name n bytes long; names of 63 bytes or more share bit 63.
    private static func lengthBit(_ length: Int) -> UInt64 { 1 << UInt64(min(length, 63)) }

    private static func lengthMask(_ names: [String]) -> UInt64 {
        names.reduce(0) { $0 | lengthBit($1.utf8.count) }
    }
}
