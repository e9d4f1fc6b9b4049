// The engine: starts the workers and applies plans to them. Applying a plan is the whole
// of a reload: listeners the new plan keeps stay open (the same sockets keep accepting,
// with the new endpoints for new connections), listeners it drops are closed, new ones are
// bound first, and no open connection is touched. A listener that cannot be bound fails
// alone, with a clear error; the rest of the plan is served.
import Dispatch
import LinuxIO
import Logging
import ServiceConfig
import Synchronization

/// A listen address of the plan that could not be bound.
public struct ListenFailure: Sendable, CustomStringConvertible {
    public let servicePort: ServicePortName
    public let address: ListenAddress
    public let error: Errno

    public var description: String { "Failed to listen on \(address) for \(servicePort): \(error)" }
}

/// What applying a plan changed.
public struct ApplyResult: Sendable {
    public var opened: [ListenAddress] = []
    public var closed: [ListenAddress] = []
    public var kept = 0
    public var failures: [ListenFailure] = []
}

/// Moves a worker, built on the starting thread, to its own thread; the starting thread
/// never touches it again.
private final class WorkerHandOff: @unchecked Sendable {
    let worker: Worker
    init(_ worker: Worker) { self.worker = worker }
}

/// What other threads may ask of a running engine.
public final class EngineMonitor: Sendable {
    private let controls: [WorkerControl]
    /// How many listen addresses are being served.
    public let listeners = Atomic<Int>(0)

    init(controls: [WorkerControl]) { self.controls = controls }

    /// The oldest check-in of a running worker, in monotonic nanoseconds (UInt64.max when
    /// none is running): a stalled event loop shows here.
    public var oldestCheckIn: UInt64 {
        controls.map { $0.lastCheckIn.load(ordering: .relaxed) }.min() ?? .max
    }
}

public final class Engine {
    /// A listen address as a socket sees it: the same IP and port is the same listener,
    /// whichever service port it serves.
    private struct ListenKey: Hashable {
        let ip: IPAddress
        let port: Int
    }

    private struct ActiveListener {
        let id: UInt32
        let address: ListenAddress
    }

    private let logger: Logger
    /// Every service port's counters, for the metrics and status endpoints.
    public let statistics: StatisticsRegistry
    /// Liveness and size, readable from any thread.
    public let monitor: EngineMonitor
    private var controls: [WorkerControl] = []
    private var threads: [JoinableThread] = []
    private var listeners: [ListenKey: ActiveListener] = [:]
    private var routes: [ServicePortName: ServicePortRoute] = [:]
    private var lastListenerID: UInt32 = 0
    /// The node-wide connection count, for `--max-connections`.
    let budget = ConnectionBudget()

    /// Starts `workers` event loops with nothing to serve yet; `apply` gives them a plan.
    /// - Parameter checkInInterval: the longest a worker sleeps before it checks in.
    /// - Parameter accessLog: log one entry per finished connection.
    public init(workers: Int, checkInInterval: UInt64 = 1_000_000_000, accessLog: Bool = false, logger: Logger) throws(Errno) {
        self.logger = logger
        statistics = StatisticsRegistry(workers: max(1, workers))
        var controls: [WorkerControl] = []
        for index in 0..<max(1, workers) {
            let control = WorkerControl(wakeup: try EventDescriptor())
            let handOff = WorkerHandOff(try Worker(index: index, control: control, logger: logger,
                                                   checkInInterval: checkInInterval, accessLog: accessLog))
            threads.append(try JoinableThread(name: "svcproxy-w\(index)") { handOff.worker.run() })
            controls.append(control)
        }
        self.controls = controls
        monitor = EngineMonitor(controls: controls)
    }


    /// Makes `plan` the one served, changing as little as possible, and returns once
    /// every worker has taken it on (so dropped ports are free and new ones accept).
    public func apply(_ plan: ProxyPlan) -> ApplyResult {
        let result = serve(plan)
        statistics.retain(plan)
        return result
    }

    private func serve(_ plan: ProxyPlan) -> ApplyResult {
        var result = ApplyResult()
        var nextRoutes: [ServicePortName: ServicePortRoute] = [:]
        var nextListeners: [ListenKey: ActiveListener] = [:]
        var assignments = Array(repeating: [ListenerAssignment](), count: controls.count)
        for servicePort in plan.servicePorts {
            // A route whose endpoints did not change is kept, and with it the round-robin
            // position; a changed one starts afresh, as kube-proxy's balancer did.
            let route = ServicePortRoute.reusing(routes[servicePort.name], for: servicePort, connections: plan.connections,
                                                 budget: budget, statistics: statistics.statistics(for: servicePort.name))
            nextRoutes[servicePort.name] = route
            for address in servicePort.listenAddresses {
                let key = ListenKey(ip: address.ip, port: address.port)
                guard nextListeners[key] == nil else { continue }  // one socket per address and port
                if let active = listeners[key] {
                    nextListeners[key] = ActiveListener(id: active.id, address: address)
                    for worker in assignments.indices {
                        assignments[worker].append(.init(id: active.id, descriptor: nil, address: address, route: route))
                    }
                    result.kept += 1
                    continue
                }
                switch bind(address) {
                case .success(let descriptors):
                    lastListenerID += 1
                    nextListeners[key] = ActiveListener(id: lastListenerID, address: address)
                    for (worker, descriptor) in descriptors.enumerated() {
                        assignments[worker].append(.init(id: lastListenerID, descriptor: descriptor, address: address, route: route))
                    }
                    result.opened.append(address)
                case .failure(let error):
                    let failure = ListenFailure(servicePort: servicePort.name, address: address, error: error)
                    logger.error("\(failure)", metadata: ["service": "\(servicePort.name)", "event": "listen-failed"])
                    result.failures.append(failure)
                }
            }
        }
        result.closed = listeners.filter { nextListeners[$0.key] == nil }.map(\.value.address)
        let done = DispatchSemaphore(value: 0)
        for (worker, control) in controls.enumerated() {
            control.send(.applyListeners(assignments[worker], done: done))
        }
        for _ in controls { done.wait() }
        listeners = nextListeners
        routes = nextRoutes
        monitor.listeners.store(nextListeners.count, ordering: .relaxed)
        return result
    }

    /// One listening socket per worker on `address`, or the error of the first bind.
    private func bind(_ address: ListenAddress) -> Result<[Int32], Errno> {
        guard let socketAddress = SocketAddress(ip: address.ip.description, port: UInt16(address.port)) else {
            return .failure(.invalidArgument)
        }
        var descriptors: [Int32] = []
        for _ in controls {
            do {
                let listener = try FileDescriptor.listener(on: socketAddress, freeBind: address.kind != .nodePort)
                descriptors.append(listener.releaseOwnership())
            } catch {
                for descriptor in descriptors { FileDescriptor(owning: descriptor).close() }
                return .failure(error)
            }
        }
        return .success(descriptors)
    }

    /// Closes every listener and returns once each worker has: new connections are
    /// refused from then on, open ones carry on.
    public func stopAccepting() {
        _ = serve(ProxyPlan(servicePorts: []))  // the counters stay, for scrapes while draining
    }

    /// Lets open connections finish for up to `gracePeriod` nanoseconds, closes the rest,
    /// and returns when every worker has finished.
    public func drain(gracePeriod: UInt64) {
        let deadline = MonotonicClock.now() + gracePeriod
        for control in controls { control.send(.drain(deadline: deadline)) }
        for thread in threads { thread.join() }
        threads = []
        controls = []
    }
}
