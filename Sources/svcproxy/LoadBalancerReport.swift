// Says in the log, once per change, when a LoadBalancer Service of our class starts to wait
// for an address (a full pool, a node port an older Service holds) and when it gets one,
// so that a pending Service is logged once rather than at every reload.
import Logging
import ServiceConfig

struct LoadBalancerReport {
    /// What was last said per Service: its summary line.
    private var said: [ObjectKey: String] = [:]

    mutating func log(_ states: [LoadBalancerState], logger: Logger) {
        var now: [ObjectKey: String] = [:]
        for state in states {
            now[state.service] = state.summary
            guard said[state.service] != state.summary else { continue }
            let metadata: Logger.Metadata = ["service": "\(state.service)", "pool": "\(state.poolLabel)",
                                             "event": state.isPending ? "load-balancer-pending" : "load-balancer-assigned"]
            if state.isPending {
                logger.warning("LoadBalancer \(state.summary)", metadata: metadata)
            } else {
                logger.info("LoadBalancer \(state.summary)", metadata: metadata)
            }
        }
        said = now
    }
}
