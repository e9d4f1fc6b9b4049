// The field names the proxy itself acts on, told apart once, as a field is made: a look for
// one of them is then a comparison of two bytes rather than of two names without case, and
// a head is looked through for them a dozen times (framing, hop-by-hop fields, Host,
// X-Forwarded-*, persistence).

enum HTTPFieldName: UInt8, Sendable {
    /// Any name not below; not a name to look for.
    case other
    case connection, contentLength, expect, host, keepAlive, proxyConnection, te, trailer, transferEncoding, upgrade
    case xForwardedFor, xForwardedHost, xForwardedPort, xForwardedProto, xRealIP, xRequestID

    /// The known name `bytes` spells, ASCII case ignored; `.other` for any other. Told by
    /// length first, so that most names are compared with one spelling at most.
    static func of(_ bytes: UnsafeRawBufferPointer) -> HTTPFieldName {
        switch bytes.count {
        case 2: return bytes.spells(.te)
        case 4: return bytes.spells(.host)
        case 6: return bytes.spells(.expect)
        case 7: return bytes.spells(.upgrade, or: .trailer)
        case 9: return bytes.spells(.xRealIP)
        case 10: return bytes.spells(.connection, or: .keepAlive)
        case 12: return bytes.spells(.xRequestID)
        case 14: return bytes.spells(.contentLength)
        case 15: return bytes.spells(.xForwardedFor)
        case 16: return bytes.spells(.xForwardedHost, or: .xForwardedPort, or: .proxyConnection)
        case 17: return bytes.spells(.transferEncoding, or: .xForwardedProto)
        default: return .other
        }
    }

    /// The name as RFC 9110 (and custom, for X-*) spells it.
    var spelling: StaticString {
        switch self {
        case .other: ""
        case .connection: "Connection"
        case .contentLength: "Content-Length"
        case .expect: "Expect"
        case .host: "Host"
        case .keepAlive: "Keep-Alive"
        case .proxyConnection: "Proxy-Connection"
        case .te: "TE"
        case .trailer: "Trailer"
        case .transferEncoding: "Transfer-Encoding"
        case .upgrade: "Upgrade"
        case .xForwardedFor: "X-Forwarded-For"
        case .xForwardedHost: "X-Forwarded-Host"
        case .xForwardedPort: "X-Forwarded-Port"
        case .xForwardedProto: "X-Forwarded-Proto"
        case .xRealIP: "X-Real-IP"
        case .xRequestID: "X-Request-ID"
        }
    }
}

extension UnsafeRawBufferPointer {
    /// The first of up to three names these bytes spell, case ignored, or `.other`.
    fileprivate func spells(_ first: HTTPFieldName, or second: HTTPFieldName = .other,
                            or third: HTTPFieldName = .other) -> HTTPFieldName {
        if spells(first) { return first }
        if second != .other, spells(second) { return second }
        if third != .other, spells(third) { return third }
        return .other
    }

    /// Compared with the spelling, of the same length (`of` chose the name by its length):
    /// a short name byte by byte, a longer one eight bytes at a time, the last word
    /// overlapping the one before it. In each word the lanes where the spelling has a letter
    /// get 0x20 on both sides, which makes either case of that letter equal; every other
    /// lane must be equal as it is.
    private func spells(_ name: HTTPFieldName) -> Bool {
        let spelling = UnsafeRawBufferPointer(start: name.spelling.utf8Start, count: count)
        guard count >= 8 else {
            for index in 0..<count where HTTPBytes.lowercased(self[index]) != HTTPBytes.lowercased(spelling[index]) { return false }
            return true
        }
        var offset = 0
        while true {
            let at = Swift.min(offset, count - 8)
            let mine = loadUnaligned(fromByteOffset: at, as: UInt64.self)
            let theirs = spelling.loadUnaligned(fromByteOffset: at, as: UInt64.self)
            let letters = HTTPByteLanes.letterCaseBits(theirs)
            if mine | letters != theirs | letters { return false }
            if at == count - 8 { return true }
            offset += 8
        }
    }
}
