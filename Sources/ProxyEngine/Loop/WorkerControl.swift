// How other threads talk to a worker: commands in an inbox, an eventfd that wakes the
// worker to read them, and the time the worker last went round its loop (for the
// watchdog). Everything else a worker owns is touched by its own thread only.
import Dispatch
import LinuxIO
import ServiceConfig
import Synchronization

/// One listen address as a worker must hold it after a plan is applied.
struct ListenerAssignment: Sendable {
    /// Stable across reloads for as long as the address stays in the plan.
    let id: UInt32
    /// A new listening socket for this worker to own, or nil to keep the one it has.
    let descriptor: Int32?
    let address: ListenAddress
    /// The route that new connections on this listener take from now on.
    let route: ListenerRoute
}

/// What a listener's connections get: a service port's TCP relay, or the Ingress proxy
/// (which routes each request by the routing table of the worker's HTTP handler).
enum ListenerRoute: Sendable {
    case tcp(ServicePortRoute)
    case http
    case https
    /// A UDP service port: datagrams, not connections, arrive on it.
    case udp(ServicePortRoute)
    /// The cluster DNS: queries over UDP or TCP, as the listener's transport says.
    case dns(DNSService)
}

/// Which listeners a set of assignments speaks for.
enum ListenerChanges: Sendable {
    /// All of them: hold exactly the assignments, close any other.
    case all
    /// Those assigned and those `closing`; every other listener stays as it is. UDP
    /// flows are checked against the endpoints of `routes` (the routes made anew) only.
    case some(closing: Set<UInt32>, routes: Set<ServicePortName>)
}

enum WorkerCommand: Sendable {
    /// Hold these listeners: adopt the new ones, swap routes on the kept ones, close the
    /// rest (all others, or those named). Signals `done` once applied, so the caller
    /// knows the ports of dropped listeners are free.
    /// `router`, when given, replaces the Ingress routing table (its `router` nil: none);
    /// `egress`, when given, the egress rules by client address.
    case applyListeners([ListenerAssignment], ListenerChanges, router: RouterChange?, egress: CompiledEgress?, udpFlowLimit: Int,
                        done: DispatchSemaphore)
    /// Let the kernel's hash pick the worker of the TCP listeners' new connections from now
    /// on (ConnectionSteering); sent to one worker, whose sockets reach every group.
    case steerByHash
    /// Close any listener left and exit once the connections have finished, or at the
    /// deadline (monotonic nanoseconds), whichever comes first.
    case drain(deadline: UInt64)
}

final class WorkerControl: Sendable {
    let wakeup: EventDescriptor
    private let inbox = Mutex<[WorkerCommand]>([])
    /// Monotonic nanoseconds of the worker's last trip round its loop.
    let lastCheckIn = Atomic<UInt64>(0)

    init(wakeup: consuming EventDescriptor) {
        self.wakeup = wakeup
        lastCheckIn.store(MonotonicClock.now(), ordering: .relaxed)
    }

    func send(_ command: WorkerCommand) {
        inbox.withLock { $0.append(command) }
        wakeup.signal()
    }

    func takeCommands() -> [WorkerCommand] {
        inbox.withLock { commands in
            defer { commands.removeAll() }
            return commands
        }
    }
}

/// A new Ingress routing table for the workers, or the news that there is none.
struct RouterChange: Sendable {
    let router: IngressRouter?
}
