// How the main thread ends one watcher while the others go on (the Pods' watch when the last
// NetworkPolicy goes): a flag the watcher checks between steps, and an eventfd every wait of
// its requests polls beside the socket, so that a watch blocked on a silent server (which
// may stay silent for the watch's whole timeout) ends at once and closes its connection.
// Once stopped, nothing the watcher reads reaches the queue (APIEventQueue checks the flag
// under its lock).
import LinuxIO
import Synchronization

final class APIWatchStop: Sendable {
    private let flag = Atomic<Bool>(false)
    /// Set by the watcher's thread as it returns: then it may be joined without waiting.
    let finished = Atomic<Bool>(false)
    let signal: EventDescriptor

    init() throws(Errno) {
        signal = try EventDescriptor()
    }

    var isStopped: Bool { flag.load(ordering: .acquiring) }

    func stop() {
        flag.store(true, ordering: .releasing)
        signal.signal()
    }
}
