// What a head's Connection fields list (RFC 9110 §7.6.1), read once, as the head is made:
// whether the connection persists, whether an upgrade is asked for, and which fields stop
// here are each asked of every head, and a Connection list was parsed again for each
// question (about 700 instructions per proxied response carrying `Connection: keep-alive`).

struct HTTPConnectionOptions: Sendable, Hashable {
    /// `close` is listed.
    let listsClose: Bool
    /// `keep-alive` is listed.
    let keepAlive: Bool
    /// `upgrade` is listed.
    let upgrade: Bool
    /// Some listed name is not one that HTTPHopByHop removes anyway (`close` counts: it
    /// names a field too), so the list must be read to know which fields stop here.
    let namesOtherFields: Bool

    init(_ fields: [HTTPField]) {
        var (listsClose, keepAlive, upgrade, namesOtherFields) = (false, false, false, false)
        _ = fields.anyListElement(named: .connection) { element in
            switch HTTPFieldName.of(element) {
            case .keepAlive: keepAlive = true
            case .upgrade: upgrade = true
            case let name where HTTPHopByHop.removedAnyway(name): break
            default:
                // `close` is no field name the proxy knows (HTTPFieldName), so it lands here.
                namesOtherFields = true
                if HTTPBytes.equalIgnoringCase(element, "close".utf8) { listsClose = true }
            }
            return false
        }
        (self.listsClose, self.keepAlive, self.upgrade, self.namesOtherFields) = (listsClose, keepAlive, upgrade, namesOtherFields)
    }

    /// Whether a message listing these keeps its connection (RFC 9112 §9.3): HTTP/1.1
    /// unless `close` is listed, HTTP/1.0 only with `keep-alive`.
    func keepsAlive(version: HTTPVersion) -> Bool {
        !listsClose && (version == .http11 || keepAlive)
    }
}
