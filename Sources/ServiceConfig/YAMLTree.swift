// A composed YAML document as one flat table of nodes, built straight from libyaml's
// events. Yams' own composer builds a tree of enums holding classes (a Tag and its
// resolver per node, arrays of pairs), checks duplicate keys by hashing whole nodes, and
// resolves every plain scalar's type with seven regular expressions: most of the time a
// 10,000-Service file took to load went there (perf; see bench/config-scale). Here a node
// is a row of one array, its children a run of another, its type resolved once, by hand
// (PlainScalarTags), and a scalar's text a Swift string (inline when short).
import CYaml
import Yams

/// One composed document; nodes refer to it by index.
final class YAMLTree: @unchecked Sendable {  // written only while composing, read-only after
    enum Kind: UInt8 { case scalar, mapping, sequence }

    struct Entry {
        var text: String
        /// The first child's place in `children`, and how many there are (twice the pairs
        /// of a mapping: key, value, key, value).
        var first: Int32
        var count: Int32
        var line: Int32
        var column: Int32
        var kind: Kind
        /// Quoted or block scalars are strings whatever they read like.
        var plain: Bool
        var tag: Tag.Name?
    }

    var entries: [Entry] = []
    var children: [Int32] = []

    func node(_ index: Int32) -> YAMLNode {
        switch entries[Int(index)].kind {
        case .scalar: .scalar(YAMLScalar(tree: self, index: index))
        case .mapping: .mapping(YAMLMapping(tree: self, index: index))
        case .sequence: .sequence(YAMLSequence(tree: self, index: index))
        }
    }
}

/// Where a node starts, 1-based, as Yams' `Mark`.
struct YAMLMark: Hashable, Sendable {
    let line: Int
    let column: Int
}

/// A node of a YAMLTree, in the shape of Yams' `Node` so that decoding reads the same.
enum YAMLNode {
    case scalar(YAMLScalar)
    case mapping(YAMLMapping)
    case sequence(YAMLSequence)

    private var place: (tree: YAMLTree, index: Int32) {
        switch self {
        case .scalar(let node): (node.tree, node.index)
        case .mapping(let node): (node.tree, node.index)
        case .sequence(let node): (node.tree, node.index)
        }
    }

    var mark: YAMLMark? {
        let (tree, index) = place
        let entry = tree.entries[Int(index)]
        return YAMLMark(line: Int(entry.line), column: Int(entry.column))
    }

    /// The resolved tag: `.int` for a plain `80`, `.str` for `"80"` or `http`.
    var tagName: Tag.Name {
        switch self {
        case .scalar(let scalar): scalar.tagName
        case .mapping: .map
        case .sequence: .seq
        }
    }

    var isNull: Bool { tagName == .null }

    /// A scalar's text, whatever its type; nil for a mapping or a list.
    var string: String? {
        guard case .scalar(let scalar) = self else { return nil }
        return scalar.string
    }

    /// A plain scalar read as an integer as YAML 1.1 (and Yams) reads one: `_` separators,
    /// `0x`, `0o`, `0b` and a leading `0` for octal, `1:30` in base 60.
    var int: Int? {
        guard case .scalar(let scalar) = self, scalar.isPlain else { return nil }
        let text = scalar.string
        if let first = text.utf8.first, first != UInt8(ascii: "0"), text.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) {
            return Int(text)  // the usual case: a port number
        }
        let digits = String(text.filter { $0 != "_" })
        if digits == "0" { return 0 }
        let negative = digits.hasPrefix("-")
        let unsigned = digits.hasPrefix("-") || digits.hasPrefix("+") ? digits.dropFirst() : Substring(digits)
        let sign = negative ? "-" : ""
        for (prefix, radix) in [("0x", 16), ("0b", 2), ("0o", 8), ("0", 8)] where unsigned.hasPrefix(prefix) {
            return Int(sign + unsigned.dropFirst(prefix.count), radix: radix)
        }
        if unsigned.contains(":") {
            var value = 0
            for part in unsigned.split(separator: ":", omittingEmptySubsequences: false) {
                guard let group = Int(part) else { return nil }
                let (times, overflow) = value.multipliedReportingOverflow(by: 60)
                guard !overflow else { return nil }
                value = times + group
            }
            return negative ? -value : value
        }
        return Int(digits)
    }

    /// A scalar read as a boolean (`true`, `yes`, `on` and their opposites), unless quoted.
    var bool: Bool? {
        guard case .scalar(let scalar) = self, scalar.tagName != .str else { return nil }
        switch scalar.string.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: return nil
        }
    }
}

struct YAMLScalar {
    let tree: YAMLTree
    let index: Int32

    var string: String { tree.entries[Int(index)].text }
    var isPlain: Bool { tree.entries[Int(index)].plain }

    var tagName: Tag.Name {
        let entry = tree.entries[Int(index)]
        if let written = entry.tag { return written }
        return entry.plain ? PlainScalarTags.resolve(entry.text) : .str
    }
}

struct YAMLMapping: Sequence {
    let tree: YAMLTree
    let index: Int32

    struct Iterator: IteratorProtocol {
        let tree: YAMLTree
        var place: Int
        let end: Int

        mutating func next() -> (key: YAMLNode, value: YAMLNode)? {
            guard place < end else { return nil }
            defer { place += 2 }
            return (tree.node(tree.children[place]), tree.node(tree.children[place + 1]))
        }
    }

    func makeIterator() -> Iterator {
        let entry = tree.entries[Int(index)]
        return Iterator(tree: tree, place: Int(entry.first), end: Int(entry.first + entry.count))
    }

    /// The keys, in document order.
    var keys: [YAMLNode] { map(\.key) }

    /// The value at the string key `key` (keys are compared as text).
    func value(forKey key: String) -> YAMLNode? {
        let entry = tree.entries[Int(index)]
        var place = Int(entry.first)
        let end = place + Int(entry.count)
        while place < end {
            let keyIndex = Int(tree.children[place])
            if tree.entries[keyIndex].kind == .scalar, tree.entries[keyIndex].text == key {
                return tree.node(tree.children[place + 1])
            }
            place += 2
        }
        return nil
    }
}

struct YAMLSequence: Sequence {
    let tree: YAMLTree
    let index: Int32

    struct Iterator: IteratorProtocol {
        let tree: YAMLTree
        var place: Int
        let end: Int

        mutating func next() -> YAMLNode? {
            guard place < end else { return nil }
            defer { place += 1 }
            return tree.node(tree.children[place])
        }
    }

    func makeIterator() -> Iterator {
        let entry = tree.entries[Int(index)]
        return Iterator(tree: tree, place: Int(entry.first), end: Int(entry.first + entry.count))
    }
}
