// The objects of the running configuration, each kept with the source it came from, so
// that a reload reads again only what changed: a file whose stat is as it was is not even
// read (FileStamp), a file whose documents are the same gives back its documents as they
// were, and a document whose text (by digest) and place are the same gives back its
// objects, already decoded and checked (CheckedObjects), without being parsed. Only the
// documents that changed are composed, decoded and checked again; what spans objects
// (uniqueness, allocation) is worked out over all of them, and the plan is rebuilt for
// the Services the changed objects touch (PlanCache), from `lastChanges`.
//
// The store is keyed by source, not by file: a Kubernetes API watch is another kind of
// source (one object per key, added, replaced or deleted by an event) feeding the same
// entries and the same `checked()` → plan → diff path.
import Foundation

/// Where a set of objects came from.
public enum ObjectSourceKey: Hashable, Sendable {
    /// A document of a file: the line it starts on (which every error and field location
    /// of its objects contains, so a document that moved is read again), and its text's
    /// length and digest. The store keeps no text: a file's text lives only while it is
    /// read (a large configuration's text is most of what a reload allocates).
    case document(file: String, firstLine: Int, length: Int, digest: Int)
    /// One object of the API source, at the store's `revision` when it last changed: a
    /// changed object gets a new key, so that the merged objects see that it changed.
    case apiObject(APIObjectName, revision: Int)

    /// Hashed by its digest and line alone, which already tell documents apart (the digest
    /// covers the file's name): a reload looks up every document's key, and hashing the
    /// name at each lookup cost more than the rest of it.
    public func hash(into hasher: inout Hasher) {
        switch self {
        case .document(_, let firstLine, _, let digest):
            hasher.combine(digest)
            hasher.combine(firstLine)
        case .apiObject(let name, let revision):
            hasher.combine(revision)
            hasher.combine(name.name)
        }
    }

    /// The key of `text`, a document starting at `firstLine` of `file`. The digest is
    /// SipHash-1-3 (Swift's Hasher) of the file's name and the text under this process's
    /// random key: no one can make two texts collide on purpose, and two different
    /// documents at the same place and of the same length share a digest by chance once
    /// in 2^64.
    static func document(file: String, firstLine: Int, text: Substring) -> ObjectSourceKey {
        var hasher = Hasher()
        hasher.combine(file)  // documents alike in two files (an empty one after a last `---`) hash apart
        let hashed: Void? = text.utf8.withContiguousStorageIfAvailable { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
        if hashed == nil { for byte in text.utf8 { hasher.combine(byte) } }
        return .document(file: file, firstLine: firstLine, length: text.utf8.count, digest: hasher.finalize())
    }
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
    /// Services whose part of the plan was built: all of them on a full plan, the ones a
    /// change touched on an incremental one (PlanCache).
    public var servicesPlanned = 0
    /// Whether the plan was made from the last one's parts.
    public var incremental = false

    public init() {}
}

/// The objects a load dropped and the ones it added (a changed object is both): what an
/// incremental plan starts from. A watch event of the API source is one such change.
public struct ObjectChanges: Sendable {
    public var removed = ConfigObjects()
    public var added = ConfigObjects()

    public init() {}

    public var isEmpty: Bool { removed.isEmpty && added.isEmpty }
}


/// Not thread-safe: one owner (the daemon's main thread) loads through it.
public final class ObjectStore {
    private struct FileEntry {
        /// Taken before the file was read; nil when it could not be, or it was written too
        /// recently to be trusted (FileStamp.isSettled).
        let stamp: FileStamp?
        let documents: [ObjectSourceKey]
    }

    /// A file as a load found it: its documents, and when they changed, its text.
    private struct ListedFile {
        let file: String
        let stamp: FileStamp?
        let documents: [ObjectSourceKey]
        let changed: ChangedFile?
    }

    private struct ChangedFile {
        let text: String
        let split: [DocumentText]
        /// Per document: nil when new, else whether libyaml stopped reading at it.
        let known: [Bool?]
        /// The file's documents at the last load.
        let previous: [ObjectSourceKey]
    }

    private var files: [String: FileEntry] = [:]
    var entries: [ObjectSourceKey: CheckedObjects] = [:]
    /// The sources of the last load: the files' documents in file order, then the API's
    /// objects (ObjectStore+API.swift).
    private var order: [ObjectSourceKey] = []
    /// The API's objects, each at a place that stays its own while it changes (so that a
    /// change is patched into the merged objects in place), in the order they came.
    var apiOrder: [ObjectSourceKey] = []
    /// The name of the object at each place of `apiOrder`.
    var apiNames: [APIObjectName] = []
    var apiObjects: [APIObjectName: (place: Int, resourceVersion: String)] = [:]
    /// The API's objects by kind, and the files' NetworkPolicies at the last load: together
    /// they say whether Pods are watched (networkPolicyCount).
    var apiCounts: [String: Int] = [:]
    var fileNetworkPolicies = 0
    /// What API events changed since the last load: the next load's changes include them.
    var pendingChanges = ObjectChanges()
    /// Counts API changes, to give each a key of its own.
    var revision = 0
    /// Our name for `service.kubernetes.io/service-proxy-name` (--service-proxy-name): an
    /// API Service labelled with another value (any, when nil) is left out.
    public var serviceProxyName: String?
    /// Documents checked since the store was made, over every load: a debug counter
    /// (tests read it to prove a reload checks only what changed).
    public private(set) var documentsCheckedTotal = 0
    /// The last plan made from this store's objects and what it was made with: a reload
    /// that reads nothing again and has the same inputs gives it back unchanged.
    var lastPlan: (settings: NodeSettings, overrides: NodeSettingsOverrides, previous: Allocations?, result: LoadedPlan)?
    /// Each Service's part of the last plan, rebuilt for the Services a change touches.
    var planCache: PlanCache?
    /// The objects of the last load's documents together, kept so that the next load
    /// patches the documents that changed into them rather than putting all together again.
    private var merged: MergedObjects?
    /// Loads whose objects were patched into the last ones (a debug counter, for tests).
    private(set) var mergesPatched = 0
    /// Loads made: a plan cache follows one load to the next.
    public private(set) var generation = 0
    /// What the last load dropped and added (nothing on the first, to which all is new).
    public private(set) var lastChanges = ObjectChanges()

    public init() {}

    /// Loads the objects at `paths`, reusing what did not change since the last load.
    public func load(paths: [String]) -> (objects: CheckedObjects, statistics: LoadStatistics) {
        let (statistics, errors) = read(paths: paths)
        var objects = checked()
        for error in errors { objects.report(error) }
        return (objects, statistics)
    }

    /// Reads what changed at `paths` (then `checked()` gives every object), and the errors
    /// of reading that belong to no document (a missing file).
    func read(paths: [String]) -> (statistics: LoadStatistics, errors: [ConfigError]) {
        let diagnostics = Diagnostics()
        var statistics = LoadStatistics()
        // First what each file holds; then the documents new or changed in any file are
        // read together, side by side (a directory of many small files as much as one
        // large file); then each changed file takes its own.
        var listed: [ListedFile] = []
        for file in ConfigLoader.expand(paths: paths, diagnostics: diagnostics) {
            let readAt = FileStamp.now()
            let stamp = FileStamp(path: file).flatMap { $0.isSettled(readAt: readAt) ? $0 : nil }
            let previous = files[file]
            // The same file as last time: not even read.
            if let previous, let stamp, previous.stamp == stamp, previous.documents.allSatisfy({ entries[$0] != nil }) {
                statistics.filesUnchanged += 1
                statistics.documentsReused += previous.documents.count
                listed.append(ListedFile(file: file, stamp: previous.stamp, documents: previous.documents, changed: nil))
                continue
            }
            guard let text = ConfigLoader.read(file: file, diagnostics: diagnostics) else { continue }
            let split = DocumentSplitter.split(text)
            let documents = split.map { ObjectSourceKey.document(file: file, firstLine: $0.firstLine, text: $0.text) }
            let known = documents.map { entries[$0]?.stoppedReading }
            if let previous, previous.documents == documents, !known.contains(nil) {
                statistics.filesUnchanged += 1
                statistics.documentsReused += documents.count
                listed.append(ListedFile(file: file, stamp: stamp, documents: documents, changed: nil))
            } else {
                statistics.filesChanged += 1
                let changed = ChangedFile(text: text, split: split, known: known, previous: previous?.documents ?? [])
                listed.append(ListedFile(file: file, stamp: stamp, documents: documents, changed: changed))
            }
        }

        let unread = listed.flatMap { listed in
            listed.changed.map { changed in
                zip(changed.split, changed.known).filter { $0.1 == nil }.map { (listed.file, changed.text, $0.0) }
            } ?? []
        }
        var fresh = ParallelMap.map(unread) { file, text, document in
            Self.check(document, file: file, fileText: text)
        }[...]

        var newFiles: [String: FileEntry] = [:]
        var newOrder: [ObjectSourceKey] = []
        var changes = ObjectChanges()
        var dropped: [ObjectSourceKey] = []
        for entry in listed {
            var documents = entry.documents
            if let changed = entry.changed {
                let count = changed.known.count { $0 == nil }
                documents = take(changed, keys: documents, fresh: fresh.prefix(count), changes: &changes, statistics: &statistics)
                fresh = fresh.dropFirst(count)
                let kept = Set(documents)
                dropped += changed.previous.filter { !kept.contains($0) }
            }
            newFiles[entry.file] = FileEntry(stamp: entry.stamp, documents: documents)
            newOrder += documents
        }
        for (file, entry) in files where newFiles[file] == nil { dropped += entry.documents }
        for key in dropped {
            guard let entry = entries.removeValue(forKey: key) else { continue }
            changes.removed.append(entry.objects)
        }
        if generation > 0 {
            changes.removed.append(pendingChanges.removed)
            changes.added.append(pendingChanges.added)
        }
        pendingChanges = ObjectChanges()
        files = newFiles
        fileNetworkPolicies = newOrder.reduce(0) { $0 + (entries[$1]?.objects.networkPolicies.count ?? 0) }
        order = newOrder + apiOrder
        lastChanges = changes
        generation += 1
        documentsCheckedTotal += statistics.documentsChecked
        return (statistics, diagnostics.errors)
    }

    /// Every object of the last load, in source order, with its checks.
    public func checked() -> CheckedObjects {
        if var patching = merged.take(), patching.patch(order: order, entries: entries) {
            merged = patching
            mergesPatched += 1
            return patching.all
        }
        let built = MergedObjects(order: order, entries: entries)
        merged = built
        return built.all
    }

    /// The keys of one changed file's documents, each reused when the store has it, the
    /// new ones taken from `fresh` (read, in order), into `changes`; up to the first that
    /// is not YAML (libyaml reads no further: a document after it was read for nothing).
    private func take(_ changed: ChangedFile, keys all: [ObjectSourceKey], fresh: ArraySlice<CheckedObjects>,
                      changes: inout ObjectChanges, statistics: inout LoadStatistics) -> [ObjectSourceKey] {
        var fresh = fresh.makeIterator()
        var keys: [ObjectSourceKey] = []
        for (key, reused) in zip(all, changed.known) {
            keys.append(key)
            if let stoppedReading = reused {
                statistics.documentsReused += 1
                if stoppedReading { break }
                continue
            }
            guard let checked = fresh.next() else { break }
            entries[key] = checked
            // The first load has nothing to change from (and no plan to follow it): copying
            // every object into its changes would only hold them twice until the next load.
            if generation > 0 { changes.added.append(checked.objects) }
            statistics.documentsChecked += 1
            if checked.stoppedReading { break }
        }
        return keys
    }

    /// One document composed, decoded and checked on its own.
    private static func check(_ document: DocumentText, file: String, fileText: String) -> CheckedObjects {
        let diagnostics = Diagnostics()
        var objects = ConfigObjects()
        let readable = ConfigLoader.load(document: document, file: file, fileText: fileText, into: &objects, diagnostics: diagnostics)
        var checked = CheckedObjects(objects: objects, loadErrors: diagnostics.errors)
        checked.stoppedReading = !readable
        return checked
    }
}

/// The objects of every document of a load, in order, and where each document's objects
/// start in each array. Putting 20,000 documents' objects together costs a reload tens of
/// milliseconds (each Service copied, twice); a reload that changes a few documents without
/// changing how many objects each holds (an endpoint moved) overwrites theirs in place.
private struct MergedObjects {
    private(set) var order: [ObjectSourceKey]
    private(set) var all = CheckedObjects()
    /// Document `i`'s first element in array `j` (CheckedObjects.visitArrays order) is at
    /// `starts[i * width + j]`; a last row holds the lengths.
    private var starts: [Int] = []
    private var width = 0

    init(order: [ObjectSourceKey], entries: [ObjectSourceKey: CheckedObjects]) {
        self.order = order
        // Each document's counts added up, rather than the growing whole counted again.
        var start: [Int]?
        for key in order {
            let entry = entries[key] ?? CheckedObjects()
            let counts = entry.counts
            let here = start ?? Array(repeating: 0, count: counts.count)
            starts += here
            start = zip(here, counts).map { $0 + $1 }
            all.append(entry)
        }
        width = start?.count ?? 0
        starts += start ?? []
    }

    /// Brings these up to `order`: true when each document that changed has as many of
    /// each kind as the one it replaces (at the same place), and few changed.
    mutating func patch(order newOrder: [ObjectSourceKey], entries: [ObjectSourceKey: CheckedObjects]) -> Bool {
        guard newOrder.count == order.count, width > 0 else { return false }
        let changed = order.indices.filter { order[$0] != newOrder[$0] }
        guard changed.count <= max(16, order.count / 8) else { return false }  // putting all together is as cheap
        var replacements: [(start: [Int], entry: CheckedObjects)] = []
        for place in changed {
            guard let entry = entries[newOrder[place]] else { return false }
            let start = Array(starts[place * width..<(place + 1) * width])
            let next = starts[(place + 1) * width..<(place + 2) * width]
            guard entry.counts == zip(next, start).map({ $0 - $1 }) else { return false }
            replacements.append((start, entry))
        }
        for (start, entry) in replacements { all.replace(at: start, with: entry) }
        order = newOrder
        return true
    }
}
