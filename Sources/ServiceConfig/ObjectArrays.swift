// The arrays a set of objects is made of, named once: appending two sets, counting one and
// patching one in place all walk the same list, so a kind added to ConfigObjects (or an
// array to CheckedObjects) is added here and nowhere else.

/// Does something with each array of a `Root` (ConfigObjects or CheckedObjects): the
/// arrays of its objects (at `objects`) and its own (CheckedObjects' errors). Two entry
/// points rather than one key path made of two: composing key paths at run time cost a
/// reload of 20,000 documents more than what they reach.
protocol ObjectArrayVisitor<Root> {
    associatedtype Root
    var objects: WritableKeyPath<Root, ConfigObjects> { get }
    mutating func visit<Element>(objects array: WritableKeyPath<ConfigObjects, [Element]>)
    mutating func visit<Element>(_ array: WritableKeyPath<Root, [Element]>)
}

extension ConfigObjects {
    /// Every array of objects.
    static func visitArrays(_ visitor: inout some ObjectArrayVisitor) {
        visitor.visit(objects: \.services)
        visitor.visit(objects: \.endpoints)
        visitor.visit(objects: \.endpointSlices)
        visitor.visit(objects: \.pods)
        visitor.visit(objects: \.proxyConfigurations)
        visitor.visit(objects: \.networkPolicies)
        visitor.visit(objects: \.namespaces)
        visitor.visit(objects: \.ingresses)
        visitor.visit(objects: \.ingressClasses)
        visitor.visit(objects: \.secrets)
        visitor.visit(objects: \.skipped)
    }

    /// Adds the objects of `other` after these.
    mutating func append(_ other: ConfigObjects) {
        var appending = AppendingArrays(other: other)
        swap(&self, &appending.target)  // moved, not shared: the arrays grow in place
        Self.visitArrays(&appending)
        swap(&self, &appending.target)
    }

    /// No object of any kind (and nothing skipped).
    var isEmpty: Bool {
        var counting = CountingArrays(root: self)
        Self.visitArrays(&counting)
        return counting.counts.allSatisfy { $0 == 0 }
    }
}

/// Appends each array of `other` to the same array of `target`.
struct AppendingArrays<Root>: ObjectArrayVisitor {
    var target: Root
    let other: Root
    let objects: WritableKeyPath<Root, ConfigObjects>
    /// `other`'s objects, taken out once: reading them through `objects` at each visit
    /// would copy (retain and release) every array each time.
    private let otherObjects: ConfigObjects

    init(other: Root) where Root == ConfigObjects {
        self.init(target: ConfigObjects(), other: other, objects: \.self)
    }

    init(target: Root, other: Root, objects: WritableKeyPath<Root, ConfigObjects>) {
        self.target = target
        self.other = other
        self.objects = objects
        otherObjects = other[keyPath: objects]
    }

    mutating func visit<Element>(objects array: WritableKeyPath<ConfigObjects, [Element]>) {
        target[keyPath: objects][keyPath: array] += otherObjects[keyPath: array]
    }

    mutating func visit<Element>(_ array: WritableKeyPath<Root, [Element]>) {
        target[keyPath: array] += other[keyPath: array]
    }
}

/// The length of each array, in the order visited.
struct CountingArrays<Root>: ObjectArrayVisitor {
    let root: Root
    let objects: WritableKeyPath<Root, ConfigObjects>
    private let rootObjects: ConfigObjects  // taken out once, as in AppendingArrays
    var counts: [Int] = []

    init(root: Root) where Root == ConfigObjects {
        self.init(root: root, objects: \.self)
    }

    init(root: Root, objects: WritableKeyPath<Root, ConfigObjects>) {
        self.root = root
        self.objects = objects
        rootObjects = root[keyPath: objects]
    }

    mutating func visit<Element>(objects array: WritableKeyPath<ConfigObjects, [Element]>) {
        counts.append(rootObjects[keyPath: array].count)
    }

    mutating func visit<Element>(_ array: WritableKeyPath<Root, [Element]>) {
        counts.append(root[keyPath: array].count)
    }
}

/// Overwrites, in each array of `target`, the elements from `start` (one offset per
/// array, in the order visited) with the same array of `entry`, which has as many.
struct ReplacingArrays<Root>: ObjectArrayVisitor {
    var target: Root
    let entry: Root
    let start: [Int]
    let objects: WritableKeyPath<Root, ConfigObjects>
    private let entryObjects: ConfigObjects  // taken out once, as in AppendingArrays
    private var place = 0

    init(target: Root, entry: Root, start: [Int], objects: WritableKeyPath<Root, ConfigObjects>) {
        self.target = target
        self.entry = entry
        self.start = start
        self.objects = objects
        entryObjects = entry[keyPath: objects]
    }

    mutating func visit<Element>(objects array: WritableKeyPath<ConfigObjects, [Element]>) {
        Self.replace(&target[keyPath: objects][keyPath: array], from: start[place], with: entryObjects[keyPath: array])
        place += 1
    }

    mutating func visit<Element>(_ array: WritableKeyPath<Root, [Element]>) {
        Self.replace(&target[keyPath: array], from: start[place], with: entry[keyPath: array])
        place += 1
    }

    private static func replace<Element>(_ array: inout [Element], from start: Int, with new: [Element]) {
        array.replaceSubrange(start..<start + new.count, with: new)
    }
}
