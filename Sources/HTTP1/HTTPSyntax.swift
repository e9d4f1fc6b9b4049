// The character classes of RFC 9110 §5.6 and the list rule (#element), as the parsers and
// the framing rules use them. Bytes, not Characters: HTTP's grammar is defined on octets,
// and names compare without case on bytes so that no lowercased copy is made per field.
import Glibc

enum HTTPBytes {
    static let cr: UInt8 = 13
    static let lf: UInt8 = 10
    static let space: UInt8 = 32
    static let tab: UInt8 = 9
    static let colon: UInt8 = 58
    static let semicolon: UInt8 = 59
    static let equals: UInt8 = 61
    static let quote: UInt8 = 34
    static let backslash: UInt8 = 92
    static let percent: UInt8 = 37

    /// tchar: the characters of a token (method, field name, transfer coding): digits,
    /// letters and `!#$%&'*+-.^_`|~`, as one bit per ASCII byte in two words, so that a
    /// field name is checked with a shift and a mask per byte rather than a chain of
    /// comparisons (HTTPSyntaxTests lists the set).
    @inline(__always)
    static func isTokenCharacter(_ byte: UInt8) -> Bool {
        isIn(byte, low: 0x03FF_6CFA_0000_0000,  // 0-63: ! # $ % & ' * + - . 0-9
             high: 0x57FF_FFFF_C7FF_FFFE)  // 64-127: A-Z ^ _ ` a-z | ~
    }

    /// Whether `byte` is in the set of ASCII bytes whose bits are set in `low` (bytes 0-63)
    /// and `high` (64-127): a shift and a mask per byte. No byte from 0x80 up is.
    @inline(__always)
    static func isIn(_ byte: UInt8, low: UInt64, high: UInt64) -> Bool {
        let word = byte < 64 ? low : byte < 128 ? high : 0
        return (word >> UInt64(byte & 63)) & 1 != 0
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

    /// The index of the first byte of `bytes` from `start` that is not a tchar, or their
    /// count: where a field name ends. Eight bytes per step while they are letters, digits
    /// and hyphens, as nearly every name is; the colon, or a rarer tchar, one at a time.
    @inline(__always)
    static func tokenEnd(in bytes: UnsafeRawBufferPointer, from start: Int = 0) -> Int {
        firstRefused(in: bytes, from: start, lanes: HTTPByteLanes.nameLanes, allowed: isTokenCharacter)
    }

    /// The index of the first byte of `bytes` from `start` that a field value may not hold
    /// (a control byte but the tab, or DEL: the CR that ends a field line is one), or their
    /// count. Eight bytes per step; a tab, which stops a step, is stepped over.
    @inline(__always)
    static func fieldValueEnd(in bytes: UnsafeRawBufferPointer, from start: Int = 0) -> Int {
        firstRefused(in: bytes, from: start, lanes: HTTPByteLanes.valueLanes, allowed: isFieldValueCharacter)
    }

    /// The index of the first byte from `start` that `allowed` refuses, or the count: a word
    /// at a time through the lanes `lanes` passes (bytes `allowed` takes too, the common
    /// ones), and the byte that stops a word, or one of the last seven, by `allowed`.
    @inline(__always)
    private static func firstRefused(in bytes: UnsafeRawBufferPointer, from start: Int, lanes: (UInt64) -> UInt64,
                                     allowed: (UInt8) -> Bool) -> Int {
        var index = start
        while index + 8 <= bytes.count {
            let passes = HTTPByteLanes.leadingPasses(lanes(HTTPByteLanes.word(bytes, at: index)))
            index += passes
            if passes == 8 { continue }
            guard allowed(bytes[index]) else { return index }
            index += 1
        }
        while index < bytes.count, allowed(bytes[index]) { index += 1 }
        return index
    }

    static func isWhitespace(_ byte: UInt8) -> Bool { byte == space || byte == tab }
    /// The index of the first `byte` in `bytes` at or after `start`, if any: memchr(3), which
    /// looks at a vector of bytes per step rather than one (heads are searched for their
    /// line ends byte by byte otherwise).
    static func firstIndex(of byte: UInt8, in bytes: UnsafeRawBufferPointer, from start: Int) -> Int? {
        guard let base = bytes.baseAddress, start < bytes.count,
              let found = memchr(base + start, Int32(byte), bytes.count - start) else { return nil }
        return base.distance(to: UnsafeRawPointer(found))
    }

    /// CR, LF or NUL: what no field may carry into a head we write (RFC 9110 §5.5).
    static func isLineBreakOrNul(_ byte: UInt8) -> Bool { byte == cr || byte == lf || byte == 0 }

    static func isDigit(_ byte: UInt8) -> Bool { (48...57).contains(byte) }

    /// The value of a hexadecimal digit, either case; nil for any other byte.
    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    static func lowercased(_ byte: UInt8) -> UInt8 {
        (65...90).contains(byte) ? byte | 0x20 : byte
    }

    /// Whether two byte strings are equal with ASCII letters compared without case, as field
    /// names, methods of the list rule and transfer codings are (RFC 9110 §5.1).
    static func equalIgnoringCase(_ a: some Collection<UInt8>, _ b: some Collection<UInt8>) -> Bool {
        guard a.count == b.count else { return false }
        // Field names are compared many times per message: over contiguous bytes when both
        // have them (native strings do), without the generic iterators.
        let fast: Bool?? = a.withContiguousStorageIfAvailable { left in
            b.withContiguousStorageIfAvailable { right in
                for index in 0..<left.count where lowercased(left[index]) != lowercased(right[index]) { return false }
                return true
            }
        }
        if case .some(.some(let equal)) = fast { return equal }
        return a.elementsEqual(b) { lowercased($0) == lowercased($1) }
    }
}

/// The list rule (RFC 9110 §5.6.1): elements separated by commas and optional whitespace;
/// a recipient ignores empty elements. Several field lines of one name form one list.
enum HTTPListSyntax {
    /// Whether `test` holds for an element of the list `bytes` (OWS trimmed, empty elements
    /// skipped), looking at the elements in order and no further than the first it holds for.
    /// Plain index loops over the buffer: a slice's `firstIndex` and trimming cost twice as
    /// much, and every proxied response lists `keep-alive` or `close`.
    static func anyElement(of bytes: UnsafeRawBufferPointer, where test: (UnsafeRawBufferPointer) -> Bool) -> Bool {
        var start = 0
        while start <= bytes.count {
            var end = start
            while end < bytes.count, bytes[end] != UInt8(ascii: ",") { end += 1 }
            var (first, last) = (start, end)
            while first < last, HTTPBytes.isWhitespace(bytes[first]) { first += 1 }
            while last > first, HTTPBytes.isWhitespace(bytes[last - 1]) { last -= 1 }
            if first < last, test(UnsafeRawBufferPointer(rebasing: bytes[first..<last])) { return true }
            start = end + 1
        }
        return false
    }
}

extension BidirectionalCollection<UInt8> {
    /// Without leading and trailing SP and HTAB (OWS), as a slice of the same bytes. From
    /// both ends, so that a value's bytes between are not looked at.
    func trimmingWhitespaceBytes() -> SubSequence {
        guard let first = firstIndex(where: { !HTTPBytes.isWhitespace($0) }),
              let last = lastIndex(where: { !HTTPBytes.isWhitespace($0) })
        else { return self[endIndex...] }
        return self[first...last]
    }
}

/// Bytes of a head being parsed: a view into the collected head, valid only while it is
/// parsed. Not an ArraySlice: every slice of an array holds a reference to its storage, and
/// the retains and releases of a head's dozens of slices cost more than the parsing.
typealias HTTPHeadBytes = Slice<UnsafeRawBufferPointer>
