// The objects of the running configuration, each kept with the source it came from, so
// that a reload reads again only what changed: a file whose text is the same gives back
// its documents as they were, and a document whose text (and place) is the same gives
// back its objects, already decoded and checked (CheckedObjects), without being parsed.
// Only the documents that changed are composed, decoded and checked again; what spans
// objects (uniqueness, allocation, the plan) is then worked out over all of them.
//
// The store is keyed by source, not by file: a Kubernetes API watch is another kind of
// source (one object per key, added, replaced or deleted by an event) feeding the same
// entries and the same `checked()` → plan → diff path.
import Foundation

/// Where a set of objects came from.
public enum ObjectSourceKey: Hashable, Sendable {
    /// A document of a file: its text, and the line it starts on (which every error and
    /// field location of its objects contains, so a document that moved is read again).
    case document(file: String, firstLine: Int, text: Substring)
}

/// What one load read again and what it reused.
public struct LoadStatistics: Sendable, Equatable {
    /// Files read whose text had changed (or was new).
    public var filesChanged = 0
    /// Files whose text was as before: their documents were reused whole.
    public var filesUnchanged = 0
    /// Documents composed, decoded and checked: the ones new or changed.
    public var documentsChecked = 0
    /// Documents whose objects were reused as they were.
    public var documentsReused = 0

    public init() {}
}

/// Not thread-safe: one owner (the daemon's main thread) loads through it.
public final class ObjectStore {
    private struct FileEntry {
        let text: String
        let documents: [ObjectSourceKey]
    }

    private var files: [String: FileEntry] = [:]
    private var entries: [ObjectSourceKey: CheckedObjects] = [:]
    /// The sources of the last load, in file order.
    private var order: [ObjectSourceKey] = []
    /// Documents checked since the store was made, over every load: a debug counter
    /// (tests read it to prove a reload checks only what changed).
    public private(set) var documentsCheckedTotal = 0
    /// The last plan made from this store's objects and what it was made with: a reload
    /// that reads nothing again and has the same inputs gives it back unchanged.
    var lastPlan: (settings: NodeSettings, overrides: NodeSettingsOverrides, previous: Allocations?, result: LoadedPlan)?

    public init() {}

    /// Loads the objects at `paths`, reusing what did not change since the last load.
    public func load(paths: [String]) -> (objects: CheckedObjects, statistics: LoadStatistics) {
        let diagnostics = Diagnostics()
        var statistics = LoadStatistics()
        var newFiles: [String: FileEntry] = [:]
        var newEntries: [ObjectSourceKey: CheckedObjects] = [:]
        var newOrder: [ObjectSourceKey] = []
        for file in ConfigLoader.expand(paths: paths, diagnostics: diagnostics) {
            guard let text = ConfigLoader.read(file: file, diagnostics: diagnostics) else { continue }
            let documents: [ObjectSourceKey]
            if let previous = files[file], previous.text == text, previous.documents.allSatisfy({ entries[$0] != nil }) {
                statistics.filesUnchanged += 1
                documents = previous.documents
                for key in documents { newEntries[key] = entries[key] }
                statistics.documentsReused += documents.count
            } else {
                statistics.filesChanged += 1
                documents = load(text: text, file: file, reusing: entries, into: &newEntries, statistics: &statistics)
            }
            newFiles[file] = FileEntry(text: text, documents: documents)
            newOrder += documents
        }
        files = newFiles
        entries = newEntries
        order = newOrder
        documentsCheckedTotal += statistics.documentsChecked
        var objects = checked()
        for error in diagnostics.errors { objects.report(error) }
        return (objects, statistics)
    }

    /// Every object of the last load, in source order, with its checks.
    public func checked() -> CheckedObjects {
        var all = CheckedObjects()
        for key in order {
            if let entry = entries[key] { all.append(entry) }
        }
        return all
    }

    /// The documents of one file's `text`, each reused when `previous` has it.
    private func load(text: String, file: String, reusing previous: [ObjectSourceKey: CheckedObjects],
                      into entries: inout [ObjectSourceKey: CheckedObjects], statistics: inout LoadStatistics) -> [ObjectSourceKey] {
        var keys: [ObjectSourceKey] = []
        for document in DocumentSplitter.split(text) {
            let key = ObjectSourceKey.document(file: file, firstLine: document.firstLine, text: document.text)
            keys.append(key)
            if let reused = previous[key] ?? entries[key] {
                entries[key] = reused
                statistics.documentsReused += 1
                if reused.stoppedReading { break }
                continue
            }
            let diagnostics = Diagnostics()
            var objects = ConfigObjects()
            let readable = ConfigLoader.load(document: document, file: file, fileText: text, into: &objects, diagnostics: diagnostics)
            var checked = CheckedObjects(objects: objects, loadErrors: diagnostics.errors)
            checked.stoppedReading = !readable
            entries[key] = checked
            statistics.documentsChecked += 1
            if !readable { break }  // libyaml reads no further than its first error
        }
        return keys
    }
}
