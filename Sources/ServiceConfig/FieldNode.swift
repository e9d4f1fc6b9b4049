// A typed, path-aware view of a YAML node. Decoding walks the document through these,
// so every value read knows its Kubernetes field path (`spec.ports[1].nodePort`) and its
// line and column, and every type mismatch becomes a ConfigError rather than a crash.
import Yams

/// Collects the errors of one load; shared by every node of every document.
final class Diagnostics {
    private(set) var errors: [ConfigError] = []

    func report(_ error: ConfigError) { errors.append(error) }
}

/// The file and object a node belongs to, where its errors go, and its document's paths.
/// One per document (and one more once the object is named); nodes share it.
final class DecodingContext {
    let file: String
    /// `Service "default/web"` once the object's identity is known.
    let object: String?
    let diagnostics: Diagnostics
    let paths: FieldPaths

    init(file: String, object: String?, diagnostics: Diagnostics, paths: FieldPaths = FieldPaths()) {
        self.file = file
        self.object = object
        self.diagnostics = diagnostics
        self.paths = paths
    }

    /// The same document, its errors naming `object`.
    func naming(_ object: String) -> DecodingContext {
        DecodingContext(file: file, object: object, diagnostics: diagnostics, paths: paths)
    }
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
    let fieldPath: FieldPath
    let context: DecodingContext

    /// A node at a path given whole (`""` for a document's root).
    init(node: YAMLNode, path: String, context: DecodingContext) {
        self.init(node: node, fieldPath: context.paths.path(path), context: context)
    }

    private init(node: YAMLNode, fieldPath: FieldPath, context: DecodingContext) {
        self.node = node
        self.fieldPath = fieldPath
        self.context = context
    }

    /// The Kubernetes field path of this node; empty for a document's root. Made when
    /// asked, for errors (FieldPaths).
    var path: String { context.paths.text(of: fieldPath) }

    var location: SourceLocation {
        SourceLocation(file: context.file, line: node.mark?.line ?? 0, column: node.mark?.column ?? 0)
    }

    /// Records an error at this node.
    func report(_ reason: ConfigError.Reason) {
        context.diagnostics.report(ConfigError(location: location, object: context.object, field: path, reason: reason))
    }

    /// Records an error at a field below this node that was not written (a missing value).
    func report(missing key: String, _ reason: ConfigError.Reason) {
        let field = context.paths.text(of: context.paths.child(of: fieldPath, key: key))
        context.diagnostics.report(ConfigError(location: location, object: context.object, field: field, reason: reason))
    }

    /// This node seen from another object context (once the object's name is known).
    func within(_ context: DecodingContext) -> FieldNode {
        FieldNode(node: node, fieldPath: fieldPath, context: context)
    }

    /// Another node seen at this node's path (a map's key, reported where Kubernetes
    /// reports it: at the map).
    func placing(_ other: YAMLNode) -> FieldNode {
        FieldNode(node: other, fieldPath: fieldPath, context: context)
    }

    /// `value`, the entry `key` of this free-form map, at `path[key]`.
    func entry(_ key: String, value: YAMLNode) -> FieldNode {
        FieldNode(node: value, fieldPath: context.paths.entry(of: fieldPath, key: key), context: context)
    }

    /// The value at `key` of this mapping, or nil when absent or null. A node that is not
    /// a mapping is reported once, here.
    func field(_ key: String) -> FieldNode? {
        guard case .mapping(let mapping) = node else {
            report(.invalid(value: shortValue, detail: "must be a mapping (key: value pairs)"))
            return nil
        }
        guard let value = mapping.value(forKey: key), !value.isNull else { return nil }
        return child(key, value: value)
    }

    /// The node `value` found under `key` of this mapping.
    func child(_ key: String, value: YAMLNode) -> FieldNode {
        FieldNode(node: value, fieldPath: context.paths.child(of: fieldPath, key: key), context: context)
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
        return sequence.enumerated().map { index, element in
            FieldNode(node: element, fieldPath: context.paths.element(of: fieldPath, index: index), context: context)
        }
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
            if let text = child(name, value: value).string() {
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
