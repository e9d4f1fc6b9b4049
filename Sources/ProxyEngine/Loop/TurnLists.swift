// The lists a worker fills and empties every turn of its loop (sessions whose writes wait,
// connections whose interest changed, connections just accepted) hold a few elements each
// time. `removeAll(keepingCapacity:)` empties them through the generic
// `replaceSubrange(_:with:)`, 150 instructions a call whatever the count; removing the
// elements from the end one by one is a release and a count each, cheaper up to a few
// elements (a busy turn's hundreds go the first way).

extension Array {
    /// Empties the list and keeps its storage for the next turn.
    @inline(__always)
    mutating func removeAllKeepingStorage() {
        guard count <= 8 else { return removeAll(keepingCapacity: true) }
        while !isEmpty { removeLast() }
    }
}
