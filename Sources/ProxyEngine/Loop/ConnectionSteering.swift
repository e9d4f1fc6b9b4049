// Which worker takes a new connection. Each worker listens on its own SO_REUSEPORT socket,
// and by default the kernel picks one by a hash of the connection's addresses and ports.
// Asked to (`--connection-steering cpu`), the group's program gives a connection to the
// worker numbered after the CPU that received its handshake (LinuxIO's
// steerConnectionsByCPU): a client thread's connections, or a NIC queue's, then wake one
// worker and not all of them (docs/performance.md, "Steering connections by CPU", for what
// that saves and costs). Where connections arrive on fewer CPUs than there are workers (a
// NIC with one queue, one busy local client), that would leave workers idle:
// SteeringBalance notices and the engine goes back to the kernel's hash. Not the default,
// because connections already open stay where they are: one client thread's streams all on
// one worker cost 1.2-1.5x the CPU per GB they cost spread over two. Handing such
// connections to another worker as they were accepted could not tell one thread's burst
// from the start of several threads' and gave the locality away (docs/performance.md,
// "Handing connections over at accept").

/// How a new connection's worker is chosen (`--connection-steering`).
public enum ConnectionSteering: String, Sendable, CaseIterable {
    /// By the kernel's hash of the connection's addresses and ports.
    case hash
    /// By the CPU that received the handshake, until the workers' shares show that too
    /// few CPUs receive connections; then by hash.
    case cpu
}

/// Judges, from the workers' running counts of accepted connections, whether steering by
/// CPU leaves workers without their share. A window of at least `minimumPerWorker`
/// connections per worker is judged at a time; fewer carry over to the next look. One
/// skewed window may be a burst (a pod filling its connection pool from one thread); two
/// in a row are how the connections arrive.
struct SteeringBalance {
    /// Connections per worker a window must hold before it is judged: enough that the
    /// shares say on how many CPUs connections arrive, not which few clients happened to
    /// connect (a pod's pool fills from one thread; two skewed windows in a row are needed).
    static let minimumPerWorker: UInt64 = 64

    enum Verdict: Equatable {
        /// Too few connections since the last judged window.
        case undecided
        case balanced
        /// This window is skewed, the one before was not.
        case skewedOnce
        /// This window and the one before were skewed: in this one `starved` of the
        /// workers got less than a quarter of their share of `accepted`.
        case skewed(starved: Int, accepted: UInt64)
    }

    /// Skewed windows in a row that make the verdict.
    static let skewedWindowsToGiveUp = 2

    /// The counts at the start of the current window.
    private var windowStart: [UInt64]
    private var skewedInARow = 0

    init(accepted: [UInt64]) {
        windowStart = accepted
    }

    /// Judges the window that ends with `accepted` (each worker's count since it started):
    /// skewed when half the workers or more got less than a quarter of an even share.
    mutating func judge(accepted: [UInt64]) -> Verdict {
        guard accepted.count == windowStart.count, accepted.count > 1 else { return .undecided }
        let window = zip(accepted, windowStart).map { $0 &- $1 }
        let total = window.reduce(0, &+)
        guard total >= Self.minimumPerWorker * UInt64(window.count) else { return .undecided }
        windowStart = accepted
        let quarterShare = total / UInt64(window.count) / 4
        let starved = window.filter { $0 < quarterShare }.count
        guard 2 * starved >= window.count else {
            skewedInARow = 0
            return .balanced
        }
        skewedInARow += 1
        return skewedInARow >= Self.skewedWindowsToGiveUp ? .skewed(starved: starved, accepted: total) : .skewedOnce
    }
}
