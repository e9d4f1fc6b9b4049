// The YAML 1.1 type of a plain scalar (`80` is an int, `true` a bool, `~` null), decided
// by hand-written matchers equivalent to the rules of Yams' `Resolver.default`. Yams
// matches each scalar against those seven rules with NSRegularExpression, which took half
// of a large configuration's load time (perf, 10,000 Services); documents are therefore
// composed with `Resolver.basic` (no rules: nothing is resolved by regex) and a scalar's
// type is asked of this file instead. The equivalence with Yams' rules is tested sample
// by sample (PlainScalarTagsTests).
import Yams

enum PlainScalarTags {
    /// The tag `Resolver.default` gives a plain scalar of this text.
    static func resolve(_ text: String) -> Tag.Name {
        var text = text
        return text.withUTF8 { resolve(bytes: $0) }
    }

    static func resolve(bytes s: UnsafeBufferPointer<UInt8>) -> Tag.Name {
        guard let first = s.first else { return .null }
        // Most scalars are names: a first byte that no rule but str accepts ends it here.
        switch first {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "+"), UInt8(ascii: "."),
             UInt8(ascii: "y"), UInt8(ascii: "Y"), UInt8(ascii: "n"), UInt8(ascii: "N"), UInt8(ascii: "t"), UInt8(ascii: "T"),
             UInt8(ascii: "f"), UInt8(ascii: "F"), UInt8(ascii: "o"), UInt8(ascii: "O"), UInt8(ascii: "~"),
             UInt8(ascii: "<"), UInt8(ascii: "="):
            break
        default:
            return .str
        }
        if isBool(s) { return .bool }
        if isInt(s) { return .int }
        if isFloat(s) { return .float }
        if equals(s, "<<") { return .merge }
        if isNull(s) { return .null }
        if isTimestamp(s) { return .timestamp }
        if equals(s, "=") { return .value }
        return .str
    }

    private static let bools: Set<String> = [
        "yes", "Yes", "YES", "no", "No", "NO", "true", "True", "TRUE", "false", "False", "FALSE",
        "on", "On", "ON", "off", "Off", "OFF",
    ]

    private static func isBool(_ s: UnsafeBufferPointer<UInt8>) -> Bool {
        s.count <= 5 && bools.contains(String(decoding: s, as: UTF8.self))
    }

    private static func isNull(_ s: UnsafeBufferPointer<UInt8>) -> Bool {
        equals(s, "~") || equals(s, "null") || equals(s, "Null") || equals(s, "NULL")
    }

    private static func equals(_ s: UnsafeBufferPointer<UInt8>, _ literal: StaticString) -> Bool {
        s.count == literal.utf8CodeUnitCount && zip(s, UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount)).allSatisfy { $0 == $1 }
    }

    // MARK: Character classes

    private static func isDigit(_ c: UInt8) -> Bool { c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") }
    private static func isDigitOrUnderscore(_ c: UInt8) -> Bool { isDigit(c) || c == UInt8(ascii: "_") }
    private static func isOctalOrUnderscore(_ c: UInt8) -> Bool {
        (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "7")) || c == UInt8(ascii: "_")
    }
    private static func isHexOrUnderscore(_ c: UInt8) -> Bool {
        isDigitOrUnderscore(c) || (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "f")) || (c >= UInt8(ascii: "A") && c <= UInt8(ascii: "F"))
    }

    /// Where the text after an optional sign starts.
    private static func afterSign(_ s: UnsafeBufferPointer<UInt8>) -> Int {
        s.first == UInt8(ascii: "-") || s.first == UInt8(ascii: "+") ? 1 : 0
    }

    /// Whether every byte from `start` is in `accepted`, and there is at least one.
    private static func allFrom(_ s: UnsafeBufferPointer<UInt8>, _ start: Int, _ accepted: (UInt8) -> Bool) -> Bool {
        start < s.count && s[start...].allSatisfy(accepted)
    }

    /// `(?::[0-5]?[0-9])+` from `index` to `end`: base-60 groups.
    private static func isSexagesimalTail(_ s: UnsafeBufferPointer<UInt8>, from index: Int, to end: Int) -> Bool {
        var i = index
        var groups = 0
        while i < end {
            guard s[i] == UInt8(ascii: ":") else { return false }
            i += 1
            guard i < end, isDigit(s[i]) else { return false }
            if i + 1 < end, isDigit(s[i + 1]) {
                guard s[i] <= UInt8(ascii: "5") else { return false }
                i += 2
            } else {
                i += 1
            }
            groups += 1
        }
        return groups > 0
    }

    // MARK: The rules

    /// `[-+]?0b[0-1_]+ | [-+]?0o?[0-7_]+ | [-+]?(?:0|[1-9][0-9_]*) | [-+]?0x[0-9a-fA-F_]+ | [-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+`
    private static func isInt(_ s: UnsafeBufferPointer<UInt8>) -> Bool {
        let start = afterSign(s)
        guard start < s.count, isDigit(s[start]) else { return false }
        if s[start] == UInt8(ascii: "0") {
            if s.count == start + 1 { return true }
            switch s[start + 1] {
            case UInt8(ascii: "b"): return allFrom(s, start + 2) { $0 == UInt8(ascii: "0") || $0 == UInt8(ascii: "1") || $0 == UInt8(ascii: "_") }
            case UInt8(ascii: "x"): return allFrom(s, start + 2, isHexOrUnderscore)
            case UInt8(ascii: "o"): return allFrom(s, start + 2, isOctalOrUnderscore)
            default: return allFrom(s, start + 1, isOctalOrUnderscore)
            }
        }
        var i = start + 1
        while i < s.count, isDigitOrUnderscore(s[i]) { i += 1 }
        return i == s.count || isSexagesimalTail(s, from: i, to: s.count)
    }

    /// `[-+]?[0-9][0-9_]*(?:\.[0-9_]*)?(?:[eE][-+]?[0-9]+)? | \.[0-9_]+(?:[eE][-+][0-9]+)?
    ///  | [-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]* | [-+]?\.(?:inf|Inf|INF) | \.(?:nan|NaN|NAN)`
    private static func isFloat(_ s: UnsafeBufferPointer<UInt8>) -> Bool {
        let start = afterSign(s)
        guard start < s.count else { return false }
        if s[start] == UInt8(ascii: ".") {
            let rest = UnsafeBufferPointer(rebasing: s[(start + 1)...])
            if equals(rest, "inf") || equals(rest, "Inf") || equals(rest, "INF") { return true }
            guard start == 0 else { return false }
            if equals(rest, "nan") || equals(rest, "NaN") || equals(rest, "NAN") { return true }
            var i = 1
            while i < s.count, isDigitOrUnderscore(s[i]) { i += 1 }
            guard i > 1 else { return false }
            return i == s.count || isExponent(s, from: i, signRequired: true)
        }
        guard isDigit(s[start]) else { return false }
        var i = start + 1
        while i < s.count, isDigitOrUnderscore(s[i]) { i += 1 }
        if i == s.count { return true }
        if s[i] == UInt8(ascii: ":") {
            guard let dot = s[i...].firstIndex(of: UInt8(ascii: ".")) else { return false }
            return isSexagesimalTail(s, from: i, to: dot) && s[(dot + 1)...].allSatisfy(isDigitOrUnderscore)
        }
        if s[i] == UInt8(ascii: ".") {
            i += 1
            while i < s.count, isDigitOrUnderscore(s[i]) { i += 1 }
            if i == s.count { return true }
        }
        return isExponent(s, from: i, signRequired: false)
    }

    /// `[eE][-+]?[0-9]+` exactly from `index` to the end.
    private static func isExponent(_ s: UnsafeBufferPointer<UInt8>, from index: Int, signRequired: Bool) -> Bool {
        guard index < s.count, s[index] == UInt8(ascii: "e") || s[index] == UInt8(ascii: "E") else { return false }
        var i = index + 1
        if i < s.count, s[i] == UInt8(ascii: "-") || s[i] == UInt8(ascii: "+") {
            i += 1
        } else if signRequired {
            return false
        }
        return allFrom(s, i, isDigit)
    }

    /// `[0-9]{4}-[0-9]{2}-[0-9]{2}` or `[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}
    /// (?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9]{1,2}(?::[0-9]{2})?))?`
    private static func isTimestamp(_ s: UnsafeBufferPointer<UInt8>) -> Bool {
        var i = 0
        func digits(_ least: Int, _ most: Int) -> Bool {
            var n = 0
            while n < most, i < s.count, isDigit(s[i]) { i += 1; n += 1 }
            return n >= least
        }
        func byte(_ c: UInt8) -> Bool {
            guard i < s.count, s[i] == c else { return false }
            i += 1
            return true
        }
        func blanks() -> Int {
            var n = 0
            while i < s.count, s[i] == UInt8(ascii: " ") || s[i] == UInt8(ascii: "\t") { i += 1; n += 1 }
            return n
        }
        guard digits(4, 4), byte(UInt8(ascii: "-")) else { return false }
        let monthStart = i
        guard digits(1, 2), byte(UInt8(ascii: "-")) else { return false }
        let dayStart = i
        guard digits(1, 2) else { return false }
        if i == s.count { return dayStart - monthStart == 3 && i - dayStart == 2 }
        guard byte(UInt8(ascii: "T")) || byte(UInt8(ascii: "t")) || blanks() > 0 else { return false }
        guard digits(1, 2), byte(UInt8(ascii: ":")), digits(2, 2), byte(UInt8(ascii: ":")), digits(2, 2) else { return false }
        if byte(UInt8(ascii: ".")) { _ = digits(0, Int.max) }
        if i == s.count { return true }
        _ = blanks()
        if byte(UInt8(ascii: "Z")) { return i == s.count }
        guard byte(UInt8(ascii: "-")) || byte(UInt8(ascii: "+")), digits(1, 2) else { return false }
        if i == s.count { return true }
        return byte(UInt8(ascii: ":")) && digits(2, 2) && i == s.count
    }
}
