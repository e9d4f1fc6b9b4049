// Session affinity by client IP (`sessionAffinity: ClientIP`): a client keeps the endpoint
// it was last sent to while it comes back within the timeout, each use refreshing it. The
// pins of a service port are one table shared by every worker (behind a lock: only
// services with affinity ever take it) and kept across reloads, so that removing one
// endpoint moves only the clients pinned to it. A pin moves when its endpoint is gone,
// does not admit the client, or fails to connect: the client stays where it landed.
import LinuxIO
import ServiceConfig
import Synchronization

final class AffinityTable: Sendable {
    private struct Pin {
        var endpoint: Endpoint
        var lastUsed: UInt64
    }

    private struct Pins {
        var byClient: [IPBits: Pin] = [:]
        /// The table's size after the last sweep of expired pins; the next sweep is due
        /// when it has doubled, so sweeping costs O(1) per new pin.
        var sweptAt = 0
    }

    private let pins = Mutex(Pins())

    /// The endpoint `client` is pinned to, if the pin is younger than `timeout`; the pin
    /// is refreshed by the lookup.
    func endpoint(for client: IPBits, now: UInt64, timeout: UInt64) -> Endpoint? {
        pins.withLock { table in
            guard var pin = table.byClient[client] else { return nil }
            guard now &- pin.lastUsed < timeout else {
                table.byClient[client] = nil
                return nil
            }
            pin.lastUsed = now
            table.byClient[client] = pin
            return pin.endpoint
        }
    }

    /// Pins `client` to `endpoint` from `now`.
    func pin(_ client: IPBits, to endpoint: Endpoint, now: UInt64, timeout: UInt64) {
        pins.withLock { table in
            table.byClient[client] = Pin(endpoint: endpoint, lastUsed: now)
            if table.byClient.count > max(1024, 2 * table.sweptAt) {
                table.byClient = table.byClient.filter { now &- $0.value.lastUsed < timeout }
                table.sweptAt = table.byClient.count
            }
        }
    }

    /// Forgets `client`'s pin if it still points at `endpoint`.
    func unpin(_ client: IPBits, from endpoint: Endpoint) {
        pins.withLock { table in
            if table.byClient[client]?.endpoint == endpoint { table.byClient[client] = nil }
        }
    }
}

extension Worker {
    /// Where an affinity client goes: its pinned endpoint if that is still eligible
    /// (then the others as fallbacks), else the round-robin choice among `eligible`, which
    /// becomes its pin.
    func affinityCandidates(route: ServicePortRoute, timeout: UInt64, client: IPBits, eligible: [Int]) -> [Int] {
        let now = MonotonicClock.now()
        let table = route.shared.affinity
        if let endpoint = table.endpoint(for: client, now: now, timeout: timeout),
           let index = route.rules.endpointIndex[endpoint], let position = eligible.firstIndex(of: index) {
            return Array(eligible[position...] + eligible[..<position])
        }
        let candidates = route.roundRobin(eligible)
        if let first = candidates.first { table.pin(client, to: route.endpoints[first].endpoint, now: now, timeout: timeout) }
        return candidates
    }

    /// A connection of an affinity client reached an endpoint after its first try failed:
    /// the client stays where it landed.
    func repin(_ connection: Connection) {
        guard connection.attempt > 0, let client = connection.affinityClient,
              let timeout = connection.route.rules.affinityTimeout else { return }
        connection.route.shared.affinity.pin(client, to: connection.endpoint.endpoint, now: MonotonicClock.now(), timeout: timeout)
    }
}
