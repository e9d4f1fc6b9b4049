// What a worker does when the engine asks: take on a new set of listeners (a reload) or
// drain (a graceful stop). Open connections are never touched by either: they keep the
// route they were accepted with and finish on their own.
import LinuxIO

extension Worker {
    func perform(_ command: WorkerCommand) {
        switch command {
        case .applyListeners(let assignments, let done):
            applyListeners(assignments)
            done.signal()
        case .drain(let deadline):
            listeners = [:]
            drainDeadline = deadline
        }
    }

    /// Holds exactly `assignments`: kept listeners get their new route, new ones are
    /// registered, and the others are closed (which frees their ports once every
    /// worker has closed its socket).
    private func applyListeners(_ assignments: [ListenerAssignment]) {
        var next: [UInt32: WorkerListener] = [:]
        for assignment in assignments {
            if let kept = listeners[assignment.id] {
                kept.route = assignment.route
                kept.address = assignment.address
                next[assignment.id] = kept
            } else if let descriptor = assignment.descriptor {
                let listener = WorkerListener(id: assignment.id, descriptor: FileDescriptor(owning: descriptor),
                                              address: assignment.address, route: assignment.route)
                do {
                    try epoll.add(descriptor, wanted: acceptResumeAt == nil ? .readable : [], token: listener.token)
                    next[assignment.id] = listener
                } catch {
                    logger.error("Failed to watch the listener on \(assignment.address): \(error)")
                }
            }
        }
        listeners = next  // listeners left out are released here, closing their sockets
    }
}
