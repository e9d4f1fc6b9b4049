// Connection limits: `--max-connections` over the whole node (by default derived from the
// descriptor limit, so that running out of descriptors is a counted refusal and not an
// accept loop at the edge) and the annotation `svcproxy.io/max-connections` per service
// port. A connection beyond a limit is refused with a reset at accept and counted in the
// service port's statistics; open connections are never touched. The counters live in
// objects that reloads keep, so a new limit sees the connections counted under the old.
import Synchronization

/// The node-wide count of open connections, shared by every worker.
final class ConnectionBudget: Sendable {
    let open = Atomic<Int>(0)

    /// Counts one more connection unless that would pass `limit`.
    func tryAcquire(limit: Int) -> Bool {
        if open.wrappingAdd(1, ordering: .relaxed).newValue > limit {
            open.wrappingSubtract(1, ordering: .relaxed)
            return false
        }
        return true
    }
}

/// Which counters a connection holds a place in, to give back when it closes.
struct LimitTokens: OptionSet, Sendable {
    let rawValue: UInt8
    static let node = LimitTokens(rawValue: 1)
    static let service = LimitTokens(rawValue: 2)
}

extension ServicePortRoute {
    /// Takes a place under every limit that applies, or says which one is full (and
    /// holds nothing).
    func acquireLimits() -> Result<LimitTokens, Refusal> {
        var tokens: LimitTokens = []
        if let limit = rules.nodeLimit {
            guard rules.budget.tryAcquire(limit: limit) else { return .failure(.nodeLimit(limit)) }
            tokens.insert(.node)
        }
        if let limit = rules.serviceLimit {
            if shared.open.wrappingAdd(1, ordering: .relaxed).newValue > limit {
                shared.open.wrappingSubtract(1, ordering: .relaxed)
                releaseLimits(tokens)
                return .failure(.serviceLimit(limit))
            }
            tokens.insert(.service)
        }
        return .success(tokens)
    }

    /// Gives back the places `tokens` hold.
    func releaseLimits(_ tokens: LimitTokens) {
        if tokens.contains(.node) { rules.budget.open.wrappingSubtract(1, ordering: .relaxed) }
        if tokens.contains(.service) { shared.open.wrappingSubtract(1, ordering: .relaxed) }
    }
}
