// YAML merge keys (https://yaml.org/type/merge.html): `<<: *defaults` copies the pairs of
// the anchored mapping into this one, `<<: [*a, *b]` those of several. kubectl's YAML
// reader (go-yaml) resolves them before the API server sees the object, so manifests
// that share ports or labels through an anchor are ordinary; Yams would keep `<<` as a
// key, which strict field checking then rejects. Resolution happens once per mapping,
// when the composer closes it: what a mapping merges is complete by then.

enum MergeKeys {
    /// Why a merge key's value cannot be merged, in go-yaml's words.
    static let problem = "map merge requires map or sequence of maps as the value"

    /// The pairs of a mapping (`items`: key, value, key, value) with its merge keys
    /// resolved: the pairs written in the mapping win over merged ones, and of the merged
    /// mappings an earlier one wins over a later one, as the merge key type defines. Nil,
    /// without allocating, for the usual mapping that has no merge key.
    static func resolve(_ items: ArraySlice<Int32>, in tree: YAMLTree) throws(YAMLComposeError) -> [Int32]? {
        let keys = stride(from: items.startIndex, to: items.endIndex - 1, by: 2)
        guard keys.contains(where: { isMergeKey(items[$0], in: tree) }) else { return nil }
        let pairs = keys.map { (key: items[$0], value: items[$0 + 1]) }
        var result: [Int32] = []
        var sources: [Int32] = []
        for pair in pairs {
            if isMergeKey(pair.key, in: tree) {
                sources += try mappings(mergedBy: pair.value, in: tree)
            } else {
                result += [pair.key, pair.value]
            }
        }
        var present = Set(pairs.filter { !isMergeKey($0.key, in: tree) }.compactMap { scalarText($0.key, in: tree) })
        for source in sources {
            let entry = tree.entries[Int(source)]
            for place in stride(from: Int(entry.first), to: Int(entry.first + entry.count) - 1, by: 2) {
                let key = tree.children[place]
                if let text = scalarText(key, in: tree), !present.insert(text).inserted { continue }
                result += [key, tree.children[place + 1]]
            }
        }
        return result
    }

    /// A plain `<<`, or any key tagged `!!merge` (YAMLScalar.tagName's rule, without
    /// resolving every key's type: this runs for every key of every mapping).
    private static func isMergeKey(_ index: Int32, in tree: YAMLTree) -> Bool {
        let entry = tree.entries[Int(index)]
        guard entry.kind == .scalar else { return false }
        if let written = entry.tag { return written == .merge }
        return entry.plain && entry.text == "<<"
    }

    private static func scalarText(_ index: Int32, in tree: YAMLTree) -> String? {
        tree.entries[Int(index)].kind == .scalar ? tree.entries[Int(index)].text : nil
    }

    /// The mappings a merge key's value names: itself, or each element of a list.
    private static func mappings(mergedBy value: Int32, in tree: YAMLTree) throws(YAMLComposeError) -> [Int32] {
        let entry = tree.entries[Int(value)]
        switch entry.kind {
        case .mapping:
            return [value]
        case .sequence:
            let elements = tree.children[Int(entry.first)..<Int(entry.first + entry.count)]
            if let notMapping = elements.first(where: { tree.entries[Int($0)].kind != .mapping }) {
                throw error(at: tree.entries[Int(notMapping)])
            }
            return Array(elements)
        case .scalar:
            throw error(at: entry)
        }
    }

    private static func error(at entry: YAMLTree.Entry) -> YAMLComposeError {
        YAMLComposeError(stage: .composer, problem: problem, line: Int(entry.line), column: Int(entry.column))
    }
}
