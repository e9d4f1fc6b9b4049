// The character classes of RFC 9110 §5.6 and the list rule (#element), as the parser and
// the framing rules use them. Bytes, not Characters: HTTP's grammar is defined on octets.

enum HTTPBytes {
    static let cr: UInt8 = 13
    static let lf: UInt8 = 10
    static let space: UInt8 = 32
    static let tab: UInt8 = 9
    static let colon: UInt8 = 58

    /// tchar: the characters of a token (method, field name, transfer coding).
    static func isTokenCharacter(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"):
            true
        default:
            "!#$%&'*+-.^_`|~".utf8.contains(byte)
        }
    }

    static func isToken(_ bytes: some Collection<UInt8>) -> Bool {
        !bytes.isEmpty && bytes.allSatisfy(isTokenCharacter)
    }

    /// VCHAR: visible ASCII, what a request-target is made of.
    static func isVisible(_ byte: UInt8) -> Bool { (0x21...0x7E).contains(byte) }

    /// field-vchar, SP and HTAB: what a field value may hold (obs-text included).
    static func isFieldValueCharacter(_ byte: UInt8) -> Bool {
        byte == space || byte == tab || isVisible(byte) || byte >= 0x80
    }

    static func isWhitespace(_ byte: UInt8) -> Bool { byte == space || byte == tab }
}

/// The list rule (RFC 9110 §5.6.1): elements separated by commas and optional whitespace;
/// a recipient ignores empty elements. Several field lines of one name form one list.
public enum HTTPListSyntax {
    public static func elements(_ values: [String]) -> [String] {
        values.flatMap { $0.split(separator: ",", omittingEmptySubsequences: false) }
            .map { $0.trimmingWhitespace() }
            .filter { !$0.isEmpty }
    }
}

extension StringProtocol {
    /// Without leading and trailing SP and HTAB (OWS).
    func trimmingWhitespace() -> String {
        let bytes = Array(utf8)
        guard let first = bytes.firstIndex(where: { !HTTPBytes.isWhitespace($0) }),
              let last = bytes.lastIndex(where: { !HTTPBytes.isWhitespace($0) }) else { return "" }
        return String(decoding: bytes[first...last], as: UTF8.self)
    }
}
