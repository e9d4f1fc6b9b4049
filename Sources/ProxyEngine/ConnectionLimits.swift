// Connection limits: `--max-connections` over the whole node and the annotation
// `svcproxy.io/max-connections` per service port. A connection beyond a limit is refused
// with a reset at accept and counted in the service port's statistics; open connections
// are never touched. Open connections are counted only while a limit is set, so a node without limits pays nothing for them; the
// counters live in objects that reloads keep, so a new limit sees the connections that
// were counted under the old one.
import LinuxIO
import Logging
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
struct LimitTokens: OptionSet {
    let rawValue: UInt8
    static let node = LimitTokens(rawValue: 1)
    static let service = LimitTokens(rawValue: 2)
}

extension Worker {
    /// Takes a place under every limit that applies to `route`, or nil (and nothing
    /// taken) when one of them is full.
    func acquireLimits(_ route: ServicePortRoute) -> LimitTokens? {
        var tokens: LimitTokens = []
        let rules = route.rules
        if let limit = rules.nodeLimit {
            guard rules.budget.tryAcquire(limit: limit) else {
                route.statistics.perWorker[index].refusedNodeLimit.bump()
                refuse(route, because: "\(limit) connections are open on this node, the limit (--max-connections)")
                return nil
            }
            tokens.insert(.node)
        }
        if let limit = rules.serviceLimit {
            let shared = route.shared
            if shared.open.wrappingAdd(1, ordering: .relaxed).newValue > limit {
                shared.open.wrappingSubtract(1, ordering: .relaxed)
                releaseLimits(tokens, route: route)
                route.statistics.perWorker[index].refusedServiceLimit.bump()
                refuse(route, because: "\(limit) connections are open to it, its limit (svcproxy.io/max-connections)")
                return nil
            }
            tokens.insert(.service)
        }
        return tokens
    }

    /// Gives back the places `tokens` hold.
    func releaseLimits(_ tokens: LimitTokens, route: ServicePortRoute) {
        if tokens.contains(.node) { route.rules.budget.open.wrappingSubtract(1, ordering: .relaxed) }
        if tokens.contains(.service) { route.shared.open.wrappingSubtract(1, ordering: .relaxed) }
    }

    /// A closing connection's places, given back once.
    func releaseLimits(of connection: Connection) {
        guard !connection.limitTokens.isEmpty else { return }
        releaseLimits(connection.limitTokens, route: connection.route)
        connection.limitTokens = []
    }

    private func refuse(_ route: ServicePortRoute, because reason: String) {
        logLimited(.warning, event: "connection-limit", subject: "\(route.name)",
                   "Refusing a connection to \(route.name): \(reason)", metadata: ["service": "\(route.name)"])
    }
}
