// Builds YAMLTrees from libyaml's event stream, one document at a time, with Yams'
// composer's rules: an alias is the node its anchor named (a later anchor of the same
// name wins, an anchor is usable once its node is complete), a mapping may not hold one
// key twice, and a scalar's type is its written tag, else `str` when quoted, else what
// its plain text resolves to (PlainScalarTags). Merge keys (`<<`), which Yams leaves as
// keys but kubectl resolves, are resolved too (MergeKeys.swift). Errors carry libyaml's
// own words.
import CYaml
import Yams

/// Why a text is not YAML, with libyaml's problem and where it was found (1-based).
struct YAMLComposeError: Error {
    enum Stage { case reader, scanner, parser, composer, duplicateKeys, memory }

    let stage: Stage
    let problem: String
    let line: Int
    let column: Int
    /// What libyaml was reading when it found the problem ("while scanning a simple key").
    var context: (text: String, line: Int, column: Int)?
}

enum YAMLComposer {
    /// Calls `document` with the root of each document of `text`, in order; a document's
    /// tree lives only as long as the caller keeps it. Lines are counted from
    /// `firstLine` (a document cut out of a larger file keeps its lines).
    static func compose(_ text: String, firstLine: Int = 1, document: (YAMLNode) -> Void) throws(YAMLComposeError) {
        var text = text
        let result: Result<Void, YAMLComposeError> = text.withUTF8 { bytes in
            var parser = yaml_parser_t()
            guard yaml_parser_initialize(&parser) == 1 else {
                return .failure(YAMLComposeError(stage: .memory, problem: "out of memory", line: firstLine, column: 1))
            }
            defer { yaml_parser_delete(&parser) }
            yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING)
            yaml_parser_set_input_string(&parser, bytes.baseAddress, bytes.count)
            var state = ComposerState(lineOffset: firstLine - 1)
            while true {
                var event = yaml_event_t()
                guard yaml_parser_parse(&parser, &event) == 1 else { return .failure(error(of: parser, lineOffset: firstLine - 1)) }
                defer { yaml_event_delete(&event) }
                if event.type == YAML_STREAM_END_EVENT { return .success(()) }
                do throws(YAMLComposeError) {
                    if let root = try state.take(event) { document(root) }
                } catch {
                    return .failure(error)
                }
            }
        }
        try result.get()
    }

    private static func error(of parser: yaml_parser_t, lineOffset: Int) -> YAMLComposeError {
        let problem = parser.problem.map { String(cString: $0) } ?? "unknown error"
        let stage: YAMLComposeError.Stage = switch parser.error {
        case YAML_MEMORY_ERROR: .memory
        case YAML_READER_ERROR: .reader
        case YAML_SCANNER_ERROR: .scanner
        default: .parser
        }
        var error = YAMLComposeError(stage: stage, problem: problem, line: Int(parser.problem_mark.line) + 1 + lineOffset,
                                     column: Int(parser.problem_mark.column) + 1)
        if let context = parser.context {
            error.context = (String(cString: context), Int(parser.context_mark.line) + 1 + lineOffset, Int(parser.context_mark.column) + 1)
        }
        return error
    }
}

/// The document being composed: its tree, the collections still open, and the nodes
/// completed but not yet given to their parent.
private struct ComposerState {
    let lineOffset: Int
    var tree = YAMLTree()
    var open: [(index: Int32, firstPending: Int, anchor: String?)] = []
    var pending: [Int32] = []
    var anchors: [String: Int32] = [:]

    init(lineOffset: Int) { self.lineOffset = lineOffset }

    /// Takes one event; returns the root when the event ends a document.
    mutating func take(_ event: yaml_event_t) throws(YAMLComposeError) -> YAMLNode? {
        switch event.type {
        case YAML_DOCUMENT_START_EVENT:
            tree = YAMLTree()
            anchors = [:]
            pending = []
        case YAML_DOCUMENT_END_EVENT:
            guard let root = pending.first else { return nil }
            return tree.node(root)
        case YAML_SCALAR_EVENT:
            let scalar = event.data.scalar
            let text = String(decoding: UnsafeBufferPointer(start: scalar.value, count: scalar.length), as: UTF8.self)
            var tag: Tag.Name?
            if let written = scalar.tag {
                let name = String(cString: written)
                tag = name == "!" ? .str : Tag.Name(rawValue: name)
            } else if scalar.quoted_implicit == 1 {
                tag = .str
            }
            let index = append(.scalar, text: text, mark: event.start_mark, plain: scalar.style == YAML_PLAIN_SCALAR_STYLE, tag: tag)
            complete(index, anchor: scalar.anchor)
        case YAML_SEQUENCE_START_EVENT:
            let index = append(.sequence, text: "", mark: event.start_mark, plain: false, tag: nil)
            open.append((index, pending.count, event.data.sequence_start.anchor.map { String(cString: $0) }))
        case YAML_MAPPING_START_EVENT:
            let index = append(.mapping, text: "", mark: event.start_mark, plain: false, tag: nil)
            open.append((index, pending.count, event.data.mapping_start.anchor.map { String(cString: $0) }))
        case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
            guard let (index, firstPending, anchor) = open.popLast() else { return nil }
            var items = pending[firstPending...]
            if event.type == YAML_MAPPING_END_EVENT {
                try checkDuplicates(items)
                if let merged = try MergeKeys.resolve(items, in: tree) { items = merged[...] }
            }
            tree.entries[Int(index)].first = Int32(tree.children.count)
            tree.entries[Int(index)].count = Int32(items.count)
            tree.children.append(contentsOf: items)
            pending.removeSubrange(firstPending...)
            pending.append(index)
            if let anchor { anchors[anchor] = index }
        case YAML_ALIAS_EVENT:
            let name = event.data.alias.anchor.map { String(cString: $0) } ?? ""
            guard let index = anchors[name] else {
                throw YAMLComposeError(stage: .composer, problem: "found undefined alias",
                                       line: Int(event.start_mark.line) + 1 + lineOffset, column: Int(event.start_mark.column) + 1)
            }
            pending.append(index)
        default:
            break  // stream start
        }
        return nil
    }

    private mutating func append(_ kind: YAMLTree.Kind, text: String, mark: yaml_mark_t, plain: Bool, tag: Tag.Name?) -> Int32 {
        tree.entries.append(YAMLTree.Entry(text: text, first: 0, count: 0, line: Int32(Int(mark.line) + 1 + lineOffset),
                                           column: Int32(mark.column + 1), kind: kind, plain: plain, tag: tag))
        return Int32(tree.entries.count - 1)
    }

    private mutating func complete(_ index: Int32, anchor: UnsafeMutablePointer<yaml_char_t>?) {
        pending.append(index)
        if let anchor { anchors[String(cString: anchor)] = index }
    }

    /// A key written twice in one mapping (the same text and type) is an error, as in Yams.
    /// It is reported where it is written the second time, which is the line to delete or
    /// rename, naming where the first one is. Mappings are small: each key is compared with
    /// the ones before it, without a table.
    private func checkDuplicates(_ items: ArraySlice<Int32>) throws(YAMLComposeError) {
        var duplicates: [(text: String, first: Int32, again: Int32)] = []
        let keys = stride(from: items.startIndex, to: items.endIndex, by: 2).map { items[$0] }
        for (place, key) in keys.enumerated() where tree.entries[Int(key)].kind == .scalar {
            let text = tree.entries[Int(key)].text
            guard let first = keys[..<place].first(where: { earlier in
                tree.entries[Int(earlier)].kind == .scalar && tree.entries[Int(earlier)].text == text
                    && YAMLScalar(tree: tree, index: earlier).tagName == YAMLScalar(tree: tree, index: key).tagName
            }) else { continue }
            if !duplicates.contains(where: { $0.first == first }) { duplicates.append((text, first, key)) }
        }
        guard let reported = duplicates.first else { return }  // the first written twice, in document order
        let first = tree.entries[Int(reported.first)]
        let again = tree.entries[Int(reported.again)]
        var problem = "\"\(reported.text)\" (first at line \(first.line), column \(first.column))"
        let others = duplicates.dropFirst().map { "\"\($0.text)\"" }
        if !others.isEmpty { problem += ", and " + others.joined(separator: ", ") }
        throw YAMLComposeError(stage: .duplicateKeys, problem: problem, line: Int(again.line), column: Int(again.column))
    }
}
