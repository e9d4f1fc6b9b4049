// Decoding of Secret (v1): its type and the keys of `data` and `stringData`, each value kept
// as written with its place. Nothing is base64-decoded here: a Secret nobody names stays
// text, and only the ones an Ingress of ours uses are decoded (SecretContents.swift).

extension ObjectDecoder {
    mutating func decodeSecret() -> Secret {
        let key = readKey(kind: "Secret")
        var secret = Secret(key: key, source: source)
        if let type = mark(root.field("type"))?.string(), !type.isEmpty { secret.type = type }
        secret.immutable = mark(root.field("immutable"))?.bool()
        for (name, value) in readValues(root.field("data"), field: "data", encoding: .base64)
            + readValues(root.field("stringData"), field: "stringData", encoding: .text) {
            secret.values[name] = value
        }
        secret.source = source
        return secret
    }

    /// The entries of `data` or `stringData`, each at `data[KEY]`. A value that is not a
    /// string is reported without being shown.
    private mutating func readValues(_ node: FieldNode?, field: String, encoding: SecretValue.Encoding) -> [(String, SecretValue)] {
        guard let node = mark(node) else { return [] }
        guard case .mapping(let mapping) = node.node else {
            node.report(.invalid(value: SecretContents.redacted, detail: "must be a mapping of strings"))
            return []
        }
        var values: [(String, SecretValue)] = []
        for (keyNode, valueNode) in mapping {
            guard let name = keyNode.string else { continue }
            let entry = node.entry(name, value: valueNode)
            guard case .scalar(let scalar) = valueNode, valueNode.tagName == .str || valueNode.isNull else {
                entry.report(.invalid(value: SecretContents.redacted, detail: "must be a string"))
                continue
            }
            _ = mark(entry)
            values.append((name, SecretValue(written: valueNode.isNull ? "" : scalar.string, encoding: encoding,
                                             path: entry.path, location: entry.location)))
        }
        return values
    }
}
