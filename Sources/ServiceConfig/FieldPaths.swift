// The Kubernetes field path of every node decoding reads (`spec.ports[1].nodePort`),
// without making its text. A load reads hundreds of thousands of fields and needs the text
// of a path only for an error: each node holds a place in its document's table of path
// steps (its parent's place and one key or index), and the text is put together when an
// error asks for it. What a field's location is recorded under is the path's digest,
// which is the same whether made step by step here or from the text (FieldPathDigest).

/// One document's path steps; shared by the nodes of one document, read on one thread.
final class FieldPaths {
    private enum Step {
        /// `parent.key`, or `key` at the root.
        case key(String)
        /// `parent[index]`.
        case index(Int)
        /// `parent[key]`: an entry of a free-form map (`metadata.labels[version]`).
        case entry(String)
        /// A whole path, as written by the caller.
        case text(String)
    }

    private struct Node {
        let parent: Int32
        let step: Step
    }

    private var nodes: [Node] = []

    /// A path given whole (`""` for a document's root).
    func path(_ text: String) -> FieldPath {
        append(Node(parent: -1, step: .text(text)), digest: FieldPathDigest(text), isEmpty: text.isEmpty)
    }

    func child(of parent: FieldPath, key: String) -> FieldPath {
        var digest = parent.digest
        if !parent.isEmpty { digest.add(".") }
        digest.add(key)
        return append(Node(parent: parent.place, step: .key(key)), digest: digest, isEmpty: false)
    }

    func element(of parent: FieldPath, index: Int) -> FieldPath {
        bracketed(parent, .index(index)) { $0.add(index) }
    }

    func entry(of parent: FieldPath, key: String) -> FieldPath {
        bracketed(parent, .entry(key)) { $0.add(key) }
    }

    /// `parent[...]`, what is inside the brackets written by `inside`.
    private func bracketed(_ parent: FieldPath, _ step: Step, _ inside: (inout FieldPathDigest) -> Void) -> FieldPath {
        var digest = parent.digest
        digest.add("[")
        inside(&digest)
        digest.add("]")
        return append(Node(parent: parent.place, step: step), digest: digest, isEmpty: false)
    }

    /// The path's text, as Kubernetes writes it.
    func text(of path: FieldPath) -> String {
        var steps: [Step] = []
        var place = path.place
        while place >= 0 {
            let node = nodes[Int(place)]
            steps.append(node.step)
            place = node.parent
        }
        var text = ""
        for step in steps.reversed() {
            switch step {
            case .key(let key): text += text.isEmpty ? key : "." + key
            case .index(let index): text += "[\(index)]"
            case .entry(let key): text += "[\(key)]"
            case .text(let whole): text += whole
            }
        }
        return text
    }

    private func append(_ node: Node, digest: FieldPathDigest, isEmpty: Bool) -> FieldPath {
        nodes.append(node)
        return FieldPath(place: Int32(nodes.count - 1), digest: digest, isEmpty: isEmpty)
    }
}

/// A node's path: its place among its document's FieldPaths, and its text's digest.
struct FieldPath {
    let place: Int32
    let digest: FieldPathDigest
    let isEmpty: Bool
}

/// FNV-1a (64 bits) of a path's UTF-8 text, which can be taken a piece at a time: the
/// digest of `spec` extended with `.ports` is the digest of `spec.ports`. Two paths of one
/// object share a digest by chance once in 2^64, and no one gains by making them.
struct FieldPathDigest: Hashable, Sendable {
    private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

    init() {}

    init(_ text: String) { add(text) }

    mutating func add(_ text: String) {
        for byte in text.utf8 { add(byte) }
    }

    mutating func add(_ number: Int) {
        if number < 0 { add(UInt8(ascii: "-")) }
        let magnitude = number.magnitude
        var divisor: UInt = 1
        while magnitude / divisor >= 10 { divisor *= 10 }
        repeat {
            add(UInt8(ascii: "0") + UInt8(magnitude / divisor % 10))
            divisor /= 10
        } while divisor > 0
    }

    private mutating func add(_ byte: UInt8) {
        value = (value ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
    }
}
