// Strict field checking, as `kubectl --validate=strict` does it: every key of an object
// must be a field its schema knows, and an unknown one is an error that suggests the
// field the user most likely meant (`spec.selectors` → `spec.selector`). Only the keys
// are judged here; the values' types and rules belong to decoding and validation.
import Yams

/// The shape of a Kubernetes object, as far as its field names go.
indirect enum Schema: Sendable {
    /// A mapping whose keys must be among these fields.
    case object([String: Schema])
    /// A list whose every element has this shape.
    case list(Schema)
    /// A mapping with free keys (labels, annotations) whose values have this shape.
    case map(Schema)
    /// A string, number or boolean.
    case scalar
    /// Anything at all: not checked (`managedFields[].fieldsV1`, a Pod's spec).
    case any
}

enum StrictFields {
    /// Reports every key under `node` that `schema` does not know, with a suggestion.
    static func check(_ node: FieldNode, against schema: Schema) {
        check(node.node, schema, root: schema, context: node.context) { node.path }
    }

    /// Walks the YAML nodes themselves: a field's path is made only for an unknown field
    /// (most documents have none, and their paths were a tenth of a load's time).
    private static func check(_ node: YAMLNode, _ schema: Schema, root: Schema, context: DecodingContext, path: () -> String) {
        switch (schema, node) {
        case (.object(let fields), .mapping(let mapping)):
            for (key, value) in mapping {
                guard let name = key.string else { continue }
                func childPath() -> String { join(path(), name) }
                if let fieldSchema = fields[name] {
                    check(value, fieldSchema, root: root, context: context, path: childPath)
                } else {
                    let at = FieldNode(node: key, path: childPath(), context: context)
                    at.report(.unknownField(suggestion: suggestion(for: name, at: path(), among: fields, root: root)))
                }
            }
        case (.list(let element), .sequence(let sequence)):
            for (index, item) in sequence.enumerated() {
                func itemPath() -> String { "\(path())[\(index)]" }
                check(item, element, root: root, context: context, path: itemPath)
            }
        case (.map(let value), .mapping(let mapping)):
            for (key, item) in mapping {
                guard let name = key.string else { continue }
                func childPath() -> String { join(path(), name) }
                check(item, value, root: root, context: context, path: childPath)
            }
        default:
            break  // a scalar, `any`, or a type mismatch that decoding reports
        }
    }

    private static func join(_ path: String, _ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// The full path of the known field closest to `name`: a sibling within a small edit
    /// distance (or the same name in other case), else the same name elsewhere in the
    /// object (`metadata.selector` → `spec.selector`).
    static func suggestion(for name: String, at parent: String, among fields: [String: Schema], root: Schema) -> String? {
        let prefix = parent.isEmpty ? "" : parent + "."
        let lowered = name.lowercased()
        if let sameCase = fields.keys.sorted().first(where: { $0.lowercased() == lowered }) {
            return prefix + sameCase
        }
        let limit = max(1, min(3, name.count / 3))
        let ranked = fields.keys.map { (key: $0, distance: editDistance(lowered, $0.lowercased())) }
            .filter { $0.distance <= limit }
            .sorted { ($0.distance, $0.key) < ($1.distance, $1.key) }
        if let best = ranked.first { return prefix + best.key }
        return pathOfField(named: name, in: root, path: "", depth: 0)
    }

    /// Where a field of this name lives in the schema (the shallowest such path).
    private static func pathOfField(named name: String, in schema: Schema, path: String, depth: Int) -> String? {
        guard depth < 4, case .object(let fields) = schema else {
            if case .list(let element) = schema, depth < 4 {
                return pathOfField(named: name, in: element, path: path + "[]", depth: depth + 1)
            }
            return nil
        }
        if fields[name] != nil { return path.isEmpty ? name : "\(path).\(name)" }
        for key in fields.keys.sorted() {
            guard let child = fields[key] else { continue }
            if let found = pathOfField(named: name, in: child, path: path.isEmpty ? key : "\(path).\(key)", depth: depth + 1) {
                return found
            }
        }
        return nil
    }

    /// Levenshtein distance, for suggestions; field names are short.
    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        guard !a.isEmpty else { return b.count }
        guard !b.isEmpty else { return a.count }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}
