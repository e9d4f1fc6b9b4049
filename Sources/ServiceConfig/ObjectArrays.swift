// The arrays a set of objects is made of, named once: appending two sets, counting one and
// patching one in place all walk the same list, so a kind added to ConfigObjects (or an
// array to CheckedObjects) is added here and nowhere else.

/// Does something with each array of a `Root` (ConfigObjects or CheckedObjects).
protocol ObjectArrayVisitor<Root> {
    associatedtype Root
    mutating func visit<Element>(_ array: WritableKeyPath<Root, [Element]>)
}

extension ConfigObjects {
    /// Every array of objects, reached from `Root` through `objects`.
    static func visitArrays<Visitor: ObjectArrayVisitor>(at objects: WritableKeyPath<Visitor.Root, ConfigObjects>,
                                                         _ visitor: inout Visitor) {
        visitor.visit(objects.appending(path: \.services))
        visitor.visit(objects.appending(path: \.endpoints))
        visitor.visit(objects.appending(path: \.endpointSlices))
        visitor.visit(objects.appending(path: \.pods))
        visitor.visit(objects.appending(path: \.proxyConfigurations))
        visitor.visit(objects.appending(path: \.networkPolicies))
        visitor.visit(objects.appending(path: \.namespaces))
        visitor.visit(objects.appending(path: \.ingresses))
        visitor.visit(objects.appending(path: \.ingressClasses))
        visitor.visit(objects.appending(path: \.secrets))
        visitor.visit(objects.appending(path: \.skipped))
    }

    /// Adds the objects of `other` after these.
    mutating func append(_ other: ConfigObjects) {
        var appending = AppendingArrays(other: other)
        swap(&self, &appending.target)  // moved, not shared: the arrays grow in place
        Self.visitArrays(at: \.self, &appending)
        swap(&self, &appending.target)
    }

    /// No object of any kind (and nothing skipped).
    var isEmpty: Bool {
        var counting = CountingArrays(root: self)
        Self.visitArrays(at: \.self, &counting)
        return counting.counts.allSatisfy { $0 == 0 }
    }
}

/// Appends each array of `other` to the same array of `target`.
struct AppendingArrays<Root>: ObjectArrayVisitor {
    var target: Root
    let other: Root

    init(other: Root) where Root == ConfigObjects {
        self.target = ConfigObjects()
        self.other = other
    }

    init(other: Root) where Root == CheckedObjects {
        self.target = CheckedObjects()
        self.other = other
    }

    mutating func visit<Element>(_ array: WritableKeyPath<Root, [Element]>) {
        target[keyPath: array] += other[keyPath: array]
    }
}

/// The length of each array, in the order visited.
struct CountingArrays<Root>: ObjectArrayVisitor {
    let root: Root
    var counts: [Int] = []

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
    private var place = 0

    init(target: Root, entry: Root, start: [Int]) {
        self.target = target
        self.entry = entry
        self.start = start
    }

    mutating func visit<Element>(_ array: WritableKeyPath<Root, [Element]>) {
        let new = entry[keyPath: array]
        let from = start[place]
        target[keyPath: array].replaceSubrange(from..<from + new.count, with: new)
        place += 1
    }
}
