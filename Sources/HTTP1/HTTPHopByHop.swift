// Which fields describe one connection rather than the message, and so stop at a proxy
// (RFC 9110 §7.6.1): Connection and every field it names, plus Keep-Alive,
// Proxy-Connection, TE, Trailer and Upgrade. Two exceptions keep a forwarded message framed
// as it was received: Connection may not name Host, Content-Length or Transfer-Encoding
// away (a proxy that dropped a Content-Length while forwarding the body raw would hand the
// body to the endpoint as the next request), and Upgrade stays when a tunnel is forwarded.

struct HTTPHopByHop {
    private static let alwaysRemoved = ["Connection", "Keep-Alive", "Proxy-Connection", "TE", "Trailer"]
    private static let neverRemoved = ["Host", "Content-Length", "Transfer-Encoding"]

    /// The field names the message's Connection fields list.
    private let connectionOptions: [String]
    private let keepsUpgrade: Bool

    init(fields: [HTTPField], keepsUpgrade: Bool) {
        // Most messages name nothing in Connection: list it only when it is there.
        connectionOptions = fields.contains { $0.hasName("Connection") }
            ? HTTPListSyntax.elements(fields.values(named: "Connection")) : []
        self.keepsUpgrade = keepsUpgrade
    }

    /// Whether `field` stops here rather than being forwarded.
    func removes(_ field: HTTPField) -> Bool {
        if field.hasName("Upgrade") { return !keepsUpgrade }
        if Self.alwaysRemoved.contains(where: field.hasName) { return true }
        return connectionOptions.contains(where: field.hasName) && !Self.neverRemoved.contains(where: field.hasName)
    }
}
