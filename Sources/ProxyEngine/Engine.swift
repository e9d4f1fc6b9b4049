// The engine: binds every listener of a plan (one SO_REUSEPORT socket per listen address
// and worker), starts the workers, and stops them. A listener that cannot be bound fails
// alone, with a clear error; the rest of the plan is served.
import LinuxIO
import Logging
import ServiceConfig

/// A listen address of the plan that could not be bound.
public struct ListenFailure: Sendable, CustomStringConvertible {
    public let servicePort: ServicePortName
    public let address: ListenAddress
    public let error: Errno

    public var description: String { "Failed to listen on \(address) for \(servicePort): \(error)" }
}

/// Moves a worker, built on the starting thread, to its own thread; the starting thread
/// never touches it again.
private final class WorkerHandOff: @unchecked Sendable {
    let worker: Worker
    init(_ worker: Worker) { self.worker = worker }
}

public final class Engine {
    private let workerCount: Int
    private let logger: Logger
    private var threads: [JoinableThread] = []
    private var controls: [WorkerControl] = []

    public init(workers: Int, logger: Logger) {
        workerCount = max(1, workers)
        self.logger = logger
    }

    /// Binds the plan's listeners and starts the workers. Returns the listen addresses
    /// that could not be bound (each already logged); everything else is being served.
    public func start(plan: ProxyPlan) throws(Errno) -> [ListenFailure] {
        var perWorker = Array(repeating: [WorkerSetup.Listener](), count: workerCount)
        var failures: [ListenFailure] = []
        for servicePort in plan.servicePorts {
            let route = ServicePortRoute(plan: servicePort)
            for address in servicePort.listenAddresses {
                switch bind(address) {
                case .success(let descriptors):
                    for (worker, descriptor) in descriptors.enumerated() {
                        perWorker[worker].append(.init(descriptor: descriptor, address: address, route: route))
                    }
                case .failure(let error):
                    let failure = ListenFailure(servicePort: servicePort.name, address: address, error: error)
                    logger.error("\(failure)", metadata: ["service": "\(servicePort.name)"])
                    failures.append(failure)
                }
            }
        }
        // Workers are built here, so that every listener is registered in an epoll set
        // (and any failure is reported) before start returns and READY=1 goes out.
        for index in 0..<workerCount {
            let control = WorkerControl(wakeup: try EventDescriptor())
            let setup = WorkerSetup(index: index, listeners: perWorker[index], control: control, logger: logger)
            let handOff = WorkerHandOff(try Worker(setup: setup))
            threads.append(try JoinableThread(name: "svcproxy-w\(index)") { handOff.worker.run() })
            controls.append(control)
        }
        return failures
    }

    /// One listening socket per worker on `address`, or the error of the first bind.
    private func bind(_ address: ListenAddress) -> Result<[Int32], Errno> {
        guard let socketAddress = SocketAddress(ip: address.ip.description, port: UInt16(address.port)) else {
            return .failure(.invalidArgument)
        }
        var descriptors: [Int32] = []
        for _ in 0..<workerCount {
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

    /// Asks every worker to stop, waits for them, and closes every connection they held.
    public func stop() {
        for control in controls {
            control.stopRequested.store(true, ordering: .releasing)
            control.wakeup.signal()
        }
        for thread in threads { thread.join() }
        threads = []
        controls = []
    }
}
