// How a worker's loop waited for events: polls that could sleep, and the rounds of
// yielding the CPU before them (`--yield-before-sleep`), by whether the look after the
// yield found events. An operator turning yielding on reads from these whether the rounds
// pay: most rounds that find nothing are CPU spent for no wakeup saved. And how many
// connections each worker accepted: how evenly the listeners' steering spreads them.
import Synchronization

/// One worker's counts of its waits.
final class LoopCounters: Sendable {
    /// epoll_wait(2) calls with a timeout: where the worker sleeps if nothing is ready.
    let blockingPolls = Atomic<UInt64>(0)
    /// Yields after which the look found events (no sleep, no wakeup), and found none.
    let yieldsFoundEvents = Atomic<UInt64>(0)
    let yieldsFoundNone = Atomic<UInt64>(0)
    /// Connections accepted on any of the worker's listeners.
    let accepted = Atomic<UInt64>(0)
}

/// The workers' waits, summed; their accepts, by worker; and how connections are steered.
public struct LoopSnapshot: Sendable {
    public let blockingPolls: UInt64
    public let yieldsFoundEvents: UInt64
    public let yieldsFoundNone: UInt64
    /// Connections accepted, by worker.
    public let acceptedPerWorker: [UInt64]
    /// Whether new connections are steered by CPU (ConnectionSteering) or by hash.
    public let steeringByCPU: Bool

    init(_ workers: [LoopCounters], steeringByCPU: Bool) {
        self.steeringByCPU = steeringByCPU
        blockingPolls = workers.reduce(0) { $0 &+ $1.blockingPolls.current }
        yieldsFoundEvents = workers.reduce(0) { $0 &+ $1.yieldsFoundEvents.current }
        yieldsFoundNone = workers.reduce(0) { $0 &+ $1.yieldsFoundNone.current }
        acceptedPerWorker = workers.map { $0.accepted.current }
    }
}
