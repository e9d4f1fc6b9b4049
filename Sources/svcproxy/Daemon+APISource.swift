// The API server as a source, on the daemon's main thread: the watchers' queue wakes the
// loop, and what it holds is applied to the store and planned at most once per
// --min-sync-period, through the same replan as a SIGHUP, so a burst of changes is one
// apply. Pods are watched only while NetworkPolicies exist (APIWatchSet). READY=1 goes out
// once every watched kind has been listed; /healthz says why not until then (and while the
// Pods are listed after their watch started), and while the API server has not answered
// for a while.
import Admin
import Foundation
import KubeAPI
import LinuxIO
import ProxyEngine
import ServiceConfig
import Systemd

extension Daemon {
    /// How long the API server may fail to answer before /healthz turns 503.
    static let apiFailureGrace: UInt64 = 5_000_000_000
    /// Trigger times held between two applies, at most (a burst beyond it is measured in part).
    static let apiTriggerTimesBound = 100_000

    /// The queue woke the loop: apply now, or when min-sync-period since the last apply ends.
    func apiChangesArrived(engine: Engine, admin: AdminEndpoints) {
        apiSource?.queue.wakeUp.drain()
        let due = lastAPISync + minSyncPeriod
        if MonotonicClock.now() >= due {
            syncAPI(engine: engine, admin: admin)
        } else {
            wakeAPISync(at: due)
        }
    }

    /// Applies everything queued to the store, starts or stops the Pods' watch as the
    /// NetworkPolicies now need, then plans and applies.
    func syncAPI(engine: Engine, admin: AdminEndpoints) {
        apiSyncDue = nil
        guard let apiSource else { return }
        let items = apiSource.queue.take()
        if !items.isEmpty { take(items, from: apiSource) }
        followNetworkPolicies()
        applyAPIChanges(engine: engine, admin: admin)
        checkAPIHealth(now: MonotonicClock.now())
    }

    /// Puts the watchers' items into the store.
    private func take(_ items: [APIEventQueue.Item], from apiSource: APISource) {
        var changed = 0
        var rejected = 0
        var events: [WatchEvent] = []
        var figures = state.read().apiSource ?? APISourceFigures()
        for item in items {
            switch item {
            case .event(_, let event):
                events.append(event)
                count(event, in: &figures)
            case .replaceAll(let resource, let objects):
                let applied = store.apply(events)
                let replaced = store.replaceAll(of: resource, with: objects)
                events = []
                changed += applied.changed + replaced.changed
                rejected += applied.rejected.count + replaced.rejected.count
                holdTriggerTimes(applied.triggerTimes + replaced.triggerTimes)
                figures.events[resource.kind, default: [:]]["LISTED", default: 0] += objects.count
                apiWatches.listed(resource)
            }
        }
        let applied = store.apply(events)
        changed += applied.changed
        rejected += applied.rejected.count
        holdTriggerTimes(applied.triggerTimes)
        lastAPISync = MonotonicClock.now()
        figures.objectsRejected += rejected
        figures.relists = apiSource.queue.relists
        figures.watchRestarts = apiSource.queue.watchRestarts
        figures.unreadableEvents = apiSource.queue.unreadableEvents
        figures.syncs += 1
        state.update { [figures] in $0.apiSource = figures }
        apiChangesWaiting += changed
    }

    /// Starts the Pods' watch once the configuration holds a NetworkPolicy; stops it, and
    /// drops the Pods from the store, once it holds none (APIWatchSet). A start that failed
    /// is tried again at the next sync.
    func followNetworkPolicies() {
        guard let apiSource else { return }
        let policies = store.networkPolicyCount
        for change in apiWatches.update(networkPolicies: policies, running: apiSource.watching, now: MonotonicClock.now()) {
            switch change {
            case .start(let resource):
                do {
                    try apiSource.start(resource)
                    logger.info("Watching \(resource): \(policies) NetworkPolicies select by pod labels and addresses",
                                metadata: ["event": "api-watch-started", "resource": "\(resource)"])
                } catch {
                    logger.error("Failed to start watching \(resource): \(error); trying again in a second",
                                 metadata: ["event": "api-watch-failed"])
                    wakeAPISync(at: MonotonicClock.now() + 1_000_000_000)
                }
            case .stop(let resource):
                apiSource.stop(resource)
                let dropped = store.replaceAll(of: resource, with: [])
                apiChangesWaiting += dropped.changed
                logger.info("Stopped watching \(resource): no NetworkPolicy left; dropped \(dropped.changed) objects",
                            metadata: ["event": "api-watch-stopped", "resource": "\(resource)"])
            }
        }
    }

    /// Plans and applies the changes taken, once every watched kind is listed: until then
    /// the store only gathers, so that the first plan is made whole, and the apply that
    /// would first enforce a NetworkPolicy waits for the Pods' first list, with every change
    /// taken meanwhile (the running plan, made without the policy, serves until then).
    func applyAPIChanges(engine: Engine, admin: AdminEndpoints) {
        guard let apiSource else { return }
        let now = MonotonicClock.now()
        guard apiWatches.mayPlan(now: now) else {
            if let deadline = apiWatches.lateListDeadline(now: now) { wakeAPISync(at: deadline) }
            return
        }
        guard apiChangesWaiting > 0 || !announcedAPIReady else { return }
        if !apiWatches.complete {
            let missing = apiWatches.waitingFor.map(\.collectionPath).joined(separator: ", ")
            let grace = APIWatchSet.lateListGrace / 1_000_000_000
            logger.warning("Applying without the first list of \(missing), awaited for \(grace) s: NetworkPolicies are enforced against the pods known",
                           metadata: ["event": "api-list-overdue"])
        }
        logger.info("Applying \(apiChangesWaiting) changes from the API server", metadata: ["event": "api-sync"])
        apiChangesWaiting = 0
        replan(engine: engine, admin: admin)
        followNetworkPolicies()  // the plan read the files again: a policy may have come or gone with them
        if !announcedAPIReady {
            announcedAPIReady = true
            checkAPIHealth(now: lastAPISync)
            logger.notice("Synced with the API server \(apiSource.connection.server): \(store.apiObjectCount) objects",
                          metadata: ["event": "api-synced"])
            announceReady()
        }
    }

    /// Makes the main loop sync by `time` (a retry, the end of a wait), unless it will sooner.
    private func wakeAPISync(at time: UInt64) {
        if apiSyncDue.map({ $0 > time }) ?? true { apiSyncDue = time }
    }

    /// Keeps the trigger times of changes made since the daemon started (older ones, met in
    /// the first lists, would measure the daemon's downtime) until the apply that serves them.
    private func holdTriggerTimes(_ times: [Double]) {
        let since = state.startTime
        for time in times where time >= since && apiTriggerTimesWaiting.count < Self.apiTriggerTimesBound {
            apiTriggerTimesWaiting.append(time)
        }
    }

    /// After an apply: from each held change to now, into the histogram. An apply that
    /// failed served none of them; they are dropped with it, as kube-proxy's failed sync does.
    func observeNetworkProgramming(served: Bool) {
        defer { apiTriggerTimesWaiting = [] }
        guard served, !apiTriggerTimesWaiting.isEmpty else { return }
        let now = Date().timeIntervalSince1970
        state.update { [apiTriggerTimesWaiting] in
            for time in apiTriggerTimesWaiting {
                $0.apiSource?.networkProgramming.observe(max(0, now - time))
            }
        }
    }

    private func count(_ event: WatchEvent, in figures: inout APISourceFigures) {
        switch event {
        case .changed(let change, let object): figures.events[object.name.kind, default: [:]][change.rawValue, default: 0] += 1
        case .deleted(let name, _): figures.events[name.kind, default: [:]]["DELETED", default: 0] += 1
        case .bookmark, .error: break
        }
    }

    /// Why no plan is made yet: the watched kinds not yet listed (at start, or the Pods after
    /// their watch started); nil when all are.
    var apiListsAwaited: String? {
        guard let apiSource, !apiWatches.complete else { return nil }
        return "waiting for the first list from the API server \(apiSource.connection.server) of "
            + apiWatches.waitingFor.map(\.collectionPath).joined(separator: ", ")
    }

    /// Sets /healthz's reason: not yet listed, or a watcher failing for longer than the grace.
    func checkAPIHealth(now: UInt64) {
        guard let apiSource else { return }
        var problem: String?
        problem = apiListsAwaited
        for (collection, health) in apiSource.queue.health.sorted(by: { $0.key < $1.key }) {
            guard let since = health.failingSince, now > since, now - since >= Self.apiFailureGrace else { continue }
            let failing = health.answered ? "the API server refusing" : "no answer from the API server"
            problem = "\(failing) for \((now - since) / 1_000_000_000) s (\(collection)): \(health.failure ?? "")"
            break
        }
        state.update { $0.sourceProblem = problem }
    }
}
