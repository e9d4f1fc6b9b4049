// A typed, path-aware view of a YAML node. Decoding walks the document through these,
// so every value read knows its Kubernetes field path (`spec.ports[1].nodePort`) and its
// line and column, and every type mismatch becomes a ConfigError rather than a crash.
import Yams

/// Collects the errors of one load; shared by every node of every document.
final class Diagnostics {
    private(set) var errors: [ConfigError] = []

    func report(_ error: ConfigError) { errors.append(error) }
}

/// The file and object a node belongs to, and where its errors go.
struct DecodingContext {
    let file: String
    /// `Service "default/web"` once the object's identity is known.
    var object: String?
    let diagnostics: Diagnostics
}

/// An integer or a name, as Kubernetes' `IntOrString` (`targetPort`).
public enum IntOrString: Hashable, Sendable, CustomStringConvertible {
    case int(Int)
    case string(String)

    public var description: String {
        switch self {
        case .int(let value): "\(value)"
        case .string(let value): "\"\(value)\""
        }
    }
}

struct FieldNode {
    let node: YAMLNode
    /// The Kubernetes field path of this node; empty for a document's root.
    let path: String
    let context: DecodingContext

    var location: SourceLocation {
        SourceLocation(file: context.file, line: node.mark?.line ?? 0, column: node.mark?.column ?? 0)
    }

    /// Records an error at this node.
    func report(_ reason: ConfigError.Reason) {
        context.diagnostics.report(ConfigError(location: location, object: context.object, field: path, reason: reason))
    }

    /// Records an error at a field below this node that was not written (a missing value).
    func report(missing key: String, _ reason: ConfigError.Reason) {
        context.diagnostics.report(ConfigError(location: location, object: context.object, field: childPath(key), reason: reason))
    }

    /// This node seen from another object context (once the object's name is known).
    func within(_ context: DecodingContext) -> FieldNode {
        FieldNode(node: node, path: path, context: context)
    }

    private func childPath(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// The value at `key` of this mapping, or nil when absent or null. A node that is not
    /// a mapping is reported once, here.
    func field(_ key: String) -> FieldNode? {
        guard case .mapping(let mapping) = node else {
            report(.invalid(value: shortValue, detail: "must be a mapping (key: value pairs)"))
            return nil
        }
        guard let value = mapping.value(forKey: key), !value.isNull else { return nil }
        return FieldNode(node: value, path: childPath(key), context: context)
    }

    /// The node `value` found under `key` of this mapping.
    func child(_ key: String, value: YAMLNode) -> FieldNode {
        FieldNode(node: value, path: childPath(key), context: context)
    }

    /// The keys of this mapping, in document order.
    var keys: [String] {
        guard case .mapping(let mapping) = node else { return [] }
        return mapping.keys.compactMap(\.string)
    }

    /// The elements of this sequence; an absent list is empty.
    func elements() -> [FieldNode] {
        guard case .sequence(let sequence) = node else {
            report(.invalid(value: shortValue, detail: "must be a list"))
            return []
        }
        return sequence.enumerated().map { FieldNode(node: $1, path: "\(path)[\($0)]", context: context) }
    }

    /// A scalar read as text. Numbers and booleans are not strings in Kubernetes' schema.
    func string() -> String? {
        guard case .scalar(let scalar) = node, node.tagName == .str else {
            report(.invalid(value: shortValue, detail: "must be a string"))
            return nil
        }
        return scalar.string
    }

    /// A scalar read as an integer; "80" in quotes is a string, as the API server sees it.
    func int() -> Int? {
        guard case .scalar = node, node.tagName == .int, let value = node.int else {
            report(.invalid(value: shortValue, detail: "must be an integer"))
            return nil
        }
        return value
    }

    /// A scalar read as a boolean (`true`/`false`, as YAML 1.1 resolves them).
    func bool() -> Bool? {
        guard case .scalar = node, node.tagName == .bool, let value = node.bool else {
            report(.invalid(value: shortValue, detail: "must be a boolean"))
            return nil
        }
        return value
    }

    /// A list of strings (`externalIPs`, `clusterIPs`); elements of another type are reported.
    func strings() -> [String] {
        elements().compactMap { $0.string() }
    }

    /// A scalar that may be an integer or a string (`targetPort`).
    func intOrString() -> IntOrString? {
        guard case .scalar(let scalar) = node else {
            report(.invalid(value: shortValue, detail: "must be an integer or a string"))
            return nil
        }
        if node.tagName == .int, let value = node.int { return .int(value) }
        return .string(scalar.string)
    }

    /// A mapping of strings to strings (labels, annotations, selectors).
    func stringMap() -> [String: String] {
        guard case .mapping(let mapping) = node else {
            report(.invalid(value: shortValue, detail: "must be a mapping of strings"))
            return [:]
        }
        var result: [String: String] = [:]
        for (key, value) in mapping {
            guard let name = key.string else { continue }
            if let text = FieldNode(node: value, path: childPath(name), context: context).string() {
                result[name] = text
            }
        }
        return result
    }

    /// The value as the user wrote it, quoted as Kubernetes quotes strings, for messages.
    var shortValue: String {
        switch node {
        case .scalar(let scalar):
            node.tagName == .str ? "\"\(scalar.string)\"" : scalar.string
        case .mapping: "{...}"
        case .sequence: "[...]"
        }
    }
}
