// The rules ValidateObjectMeta applies to `metadata.labels` and `metadata.annotations` of
// every object (apimachinery's ValidateLabels and ValidateAnnotations), for every kind
// svcproxy reads, with their field paths and words. They are checked here, on the YAML,
// rather than on each kind's model: most kinds keep neither map, and a value that is not
// a string (`version: 1`, which the API server cannot even decode: "cannot unmarshal
// number into Go struct field ObjectMeta.metadata.labels of type string") must be
// reported the same way whichever kind it is on.

enum MetadataRules {
    /// TotalAnnotationSizeLimitB: keys and values together, in bytes.
    static let annotationSizeLimit = 256 * (1 << 10)

    /// Checks the labels and annotations of the object at `root`, reporting to its context.
    static func check(_ root: FieldNode) {
        guard case .mapping(let object) = root.node, let metadataNode = object.value(forKey: "metadata"),
              case .mapping = metadataNode
        else { return }  // a missing or malformed `metadata` is reported where it is read
        // Paths start at the object, also for an item of a List, as the API server sees it.
        let metadata = FieldNode(node: metadataNode, path: "metadata", context: root.context)
        if let labels = metadata.field("labels") {
            for entry in entries(of: labels, kind: "label") {
                labels.placing(entry.key).reportEach(entry.text, NameFormat.qualifiedName(entry.text))
                labels.placing(entry.value).reportEach(entry.stringValue, NameFormat.labelValue(entry.stringValue))
            }
        }
        if let annotations = metadata.field("annotations") {
            var size = 0
            for entry in entries(of: annotations, kind: "annotation") {
                // The rule is QualifiedName except that case does not matter (ValidateAnnotations).
                annotations.placing(entry.key).reportEach(entry.text, NameFormat.qualifiedName(entry.text.lowercased()))
                size += entry.text.utf8.count + entry.stringValue.utf8.count
            }
            if size > annotationSizeLimit {
                annotations.report(.tooLong(detail: "may not be more than \(annotationSizeLimit) bytes"))
            }
        }
    }

    private struct Entry {
        let key: YAMLNode
        let text: String
        let value: YAMLNode
        let stringValue: String
    }

    /// The pairs of a labels or annotations map whose values are strings; any other value
    /// is reported at its own path (`metadata.labels[version]`), with the fix. A null value
    /// is the empty string, as the API server decodes it.
    private static func entries(of map: FieldNode, kind: String) -> [Entry] {
        guard case .mapping(let mapping) = map.node else {
            map.report(.invalid(value: map.shortValue, detail: "must be a mapping of strings"))
            return []
        }
        var result: [Entry] = []
        for (key, value) in mapping {
            guard let text = key.string else { continue }
            if value.isNull {
                result.append(Entry(key: key, text: text, value: value, stringValue: ""))
            } else if case .scalar(let scalar) = value, isString(value) {
                result.append(Entry(key: key, text: text, value: value, stringValue: scalar.string))
            } else {
                let node = map.entry(text, value: value)
                let fix = node.node.string.map { " (quote it: \"\($0)\")" } ?? ""
                node.report(.invalid(value: node.shortValue, detail: "must be a string, as every \(kind) value is\(fix)"))
            }
        }
        return result.sorted { $0.text < $1.text }  // one order for the messages, whatever the file's
    }

    /// A string as kubectl's YAML reader sees one: a plain timestamp (`2024-01-01`) stays
    /// the text it is written as, where a number or a boolean becomes a JSON number or
    /// boolean, which a string field does not accept.
    static func isString(_ value: YAMLNode) -> Bool {
        value.tagName == .str || value.tagName == .timestamp
    }
}

extension FieldNode {
    /// Each message as its own Invalid error of `value` here, as Kubernetes lists them.
    fileprivate func reportEach(_ value: String, _ messages: [String]) {
        for message in messages { report(.invalid(value: "\"\(value)\"", detail: message)) }
    }

    /// A labels or annotations map read without reporting: MetadataRules reports what is
    /// wrong with it once, for every kind; a value that is not a string is left out.
    func metadataStrings() -> [String: String] {
        guard case .mapping(let mapping) = node else { return [:] }
        var result: [String: String] = [:]
        for (key, value) in mapping {
            guard let name = key.string else { continue }
            if value.isNull {
                result[name] = ""
            } else if case .scalar(let scalar) = value, MetadataRules.isString(value) {
                result[name] = scalar.string
            }
        }
        return result
    }
}
