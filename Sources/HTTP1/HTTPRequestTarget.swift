// The request-targets the Ingress proxy can forward, and the Host values it can route on.
// RFC 9112 §3.2 allows four forms; a proxy to origin servers forwards two of them (origin-form
// `/path?query` and absolute-form `http://authority/path?query`) plus `*` for OPTIONS, and
// refuses the rest: authority-form is CONNECT's, a tunnel to anywhere. Characters follow
// RFC 3986 where two parsers could read a target differently (`#`, a `%` without its two hex
// digits, non-ASCII) and follow llhttp and h11 elsewhere: both take any visible ASCII, and
// clients do send `|`, `{`, `"` unescaped in queries.

enum HTTPRequestTarget {
    /// Whether `target` is a form the proxy forwards, for `method`, in characters it allows.
    static func isAcceptable(_ target: HTTPHeadBytes, method: String) -> Bool {
        guard method != "CONNECT", hasValidCharacters(target) else { return false }
        if target.first == UInt8(ascii: "/") { return true }
        if target.elementsEqual("*".utf8) { return method == "OPTIONS" }
        return absoluteForm(target) != nil
    }

    /// Visible ASCII without `#` (a fragment is never sent, RFC 9112 §3.2), and every `%`
    /// followed by two hexadecimal digits (RFC 3986 §2.1).
    private static func hasValidCharacters(_ target: HTTPHeadBytes) -> Bool {
        var index = target.startIndex
        while index < target.endIndex {
            let byte = target[index]
            guard HTTPBytes.isVisible(byte), byte != UInt8(ascii: "#") else { return false }
            if byte == HTTPBytes.percent {
                guard index + 2 < target.endIndex, HTTPBytes.hexValue(target[index + 1]) != nil,
                      HTTPBytes.hexValue(target[index + 2]) != nil else { return false }
                index += 2
            }
            index += 1
        }
        return true
    }

    /// For `http://authority[/path][?query]` (scheme without case), where the authority
    /// lies and where the rest starts; nil for any other target.
    static func absoluteForm<Bytes: BidirectionalCollection<UInt8>>(_ target: Bytes)
        -> (authority: Range<Bytes.Index>, rest: Bytes.Index)?
    {
        // Both schemes start with an h: any other target, origin-form above all, is not
        // one at its first byte, without a search for a colon.
        guard let first = target.first, first | 0x20 == UInt8(ascii: "h"),
              let colon = target.firstIndex(of: HTTPBytes.colon)
        else { return nil }
        let scheme = target[..<colon]
        guard HTTPBytes.equalIgnoringCase(scheme, "http".utf8) || HTTPBytes.equalIgnoringCase(scheme, "https".utf8)
        else { return nil }
        let slashes = target[colon...].dropFirst()
        guard slashes.starts(with: "//".utf8) else { return nil }
        let authorityStart = slashes.dropFirst(2).startIndex
        let afterScheme = target[authorityStart...]
        let authorityEnd = afterScheme.firstIndex { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "?") } ?? target.endIndex
        let authority = target[authorityStart..<authorityEnd]
        guard !authority.isEmpty, isHost(authority) else { return nil }
        return (authorityStart..<authorityEnd, authorityEnd)
    }

    /// `uri-host [":" port]` (RFC 9110 §7.2), or nothing at all, which a Host field may be.
    /// No userinfo: a `user@` inside it is how a host is spoofed to a careless router.
    static func isHost(_ bytes: some Collection<UInt8>) -> Bool {
        // A field value's bytes are contiguous already: looked at in place, not copied.
        bytes.withContiguousStorageIfAvailable { isHost(in: UnsafeRawBufferPointer($0)) }
            ?? Array(bytes).withUnsafeBytes { isHost(in: $0) }
    }

    private static func isHost(in text: UnsafeRawBufferPointer) -> Bool {
        var index = 0
        if text.first == UInt8(ascii: "[") {
            // IP-literal: an IPv6 address; IPvFuture is not spoken by any endpoint we reach.
            guard let close = text.firstIndex(of: UInt8(ascii: "]")), close > 1 else { return false }
            let isAddressCharacter = { (byte: UInt8) in
                HTTPBytes.hexValue(byte) != nil || byte == HTTPBytes.colon || byte == UInt8(ascii: ".")
            }
            guard text[1..<close].allSatisfy(isAddressCharacter) else { return false }
            index = close + 1
        } else {
            while index < text.count, text[index] != HTTPBytes.colon {
                if text[index] == HTTPBytes.percent {
                    guard index + 2 < text.count, HTTPBytes.hexValue(text[index + 1]) != nil,
                          HTTPBytes.hexValue(text[index + 2]) != nil else { return false }
                    index += 2
                } else if !isRegisteredNameCharacter(text[index]) {
                    return false
                }
                index += 1
            }
        }
        guard index < text.count else { return true }
        let port = text[(index + 1)...]
        guard text[index] == HTTPBytes.colon, (1...5).contains(port.count), port.allSatisfy(HTTPBytes.isDigit)
        else { return false }
        return port.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) } <= 65535
    }

    /// unreserved and sub-delims (RFC 3986 §3.2.2): digits, letters and `-._~!$&'()*+,;=`,
    /// as one bit per ASCII byte in two words (every request's host passes here; a set of
    /// ranges and a look through the sub-delims cost three times as much). HTTPSyntaxTests
    /// lists the set.
    @inline(__always)
    static func isRegisteredNameCharacter(_ byte: UInt8) -> Bool {
        HTTPBytes.isIn(byte, low: 0x2BFF_7FD2_0000_0000,  // 0-63: ! $ & ' ( ) * + , - . 0-9 ; =
                       high: 0x47FF_FFFE_87FF_FFFE)  // 64-127: A-Z _ a-z ~
    }
}
