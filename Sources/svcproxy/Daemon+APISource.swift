// The API server as a source, on the daemon's main thread: the watchers' queue wakes the
// loop, and what it holds is applied to the store and planned at most once per
// --min-sync-period, through the same replan as a SIGHUP, so a burst of changes is one
// apply. READY=1 goes out once every watched kind has been listed; /healthz says why not
// until then, and while the API server has not answered for a while.
import Admin
import KubeAPI
import LinuxIO
import ProxyEngine
import ServiceConfig
import Systemd

extension Daemon {
    /// How long the API server may fail to answer before /healthz turns 503.
    static let apiFailureGrace: UInt64 = 5_000_000_000

    /// The queue woke the loop: apply now, or when min-sync-period since the last apply ends.
    func apiChangesArrived(engine: Engine, admin: AdminEndpoints) {
        apiSource?.queue.wakeUp.drain()
        let due = lastAPISync + minSyncPeriod
        if MonotonicClock.now() >= due {
            syncAPI(engine: engine, admin: admin)
        } else if apiSyncDue == nil {
            apiSyncDue = due
        }
    }

    /// Applies everything queued to the store, then plans and applies.
    func syncAPI(engine: Engine, admin: AdminEndpoints) {
        apiSyncDue = nil
        guard let apiSource else { return }
        let items = apiSource.queue.take()
        guard !items.isEmpty else { return }
        var changed = 0
        var rejected = 0
        var events: [WatchEvent] = []
        var figures = state.read().apiSource ?? APISourceFigures()
        for item in items {
            switch item {
            case .event(let event):
                events.append(event)
                count(event, in: &figures)
            case .replaceAll(let resource, let objects):
                let applied = store.apply(events)
                let replaced = store.replaceAll(of: resource, with: objects)
                events = []
                changed += applied.changed + replaced.changed
                rejected += applied.rejected.count + replaced.rejected.count
                figures.events[resource.kind, default: [:]]["LISTED", default: 0] += objects.count
                apiSynced.insert(resource.collectionPath)
            }
        }
        let applied = store.apply(events)
        changed += applied.changed
        rejected += applied.rejected.count
        lastAPISync = MonotonicClock.now()
        figures.objectsRejected += rejected
        figures.relists = apiSource.queue.relists
        figures.watchRestarts = apiSource.queue.watchRestarts
        figures.unreadableEvents = apiSource.queue.unreadableEvents
        figures.syncs += 1
        state.update { [figures] in $0.apiSource = figures }
        apiChangesWaiting += changed
        // Until every kind is listed, the store only gathers: the first plan is made whole.
        guard apiSynced.count == APIResource.watched.count, apiChangesWaiting > 0 || !announcedAPIReady else { return }
        logger.info("Applying \(apiChangesWaiting) changes from the API server", metadata: ["event": "api-sync"])
        apiChangesWaiting = 0
        replan(engine: engine, admin: admin)
        if apiSynced.count == APIResource.watched.count, !announcedAPIReady {
            announcedAPIReady = true
            checkAPIHealth(now: lastAPISync)
            logger.notice("Synced with the API server \(apiSource.connection.server): \(store.apiObjectCount) objects",
                          metadata: ["event": "api-synced"])
            SystemdNotifier.ready(status: status)
        }
    }

    private func count(_ event: WatchEvent, in figures: inout APISourceFigures) {
        switch event {
        case .changed(let change, let object): figures.events[object.name.kind, default: [:]][change.rawValue, default: 0] += 1
        case .deleted(let name, _): figures.events[name.kind, default: [:]]["DELETED", default: 0] += 1
        case .bookmark, .error: break
        }
    }

    /// Sets /healthz's reason: not yet listed, or a watcher failing for longer than the grace.
    func checkAPIHealth(now: UInt64) {
        guard let apiSource else { return }
        var problem: String?
        if apiSynced.count < APIResource.watched.count {
            problem = "waiting for the first list from the API server \(apiSource.connection.server)"
        }
        for (collection, health) in apiSource.queue.health.sorted(by: { $0.key < $1.key }) {
            guard let since = health.failingSince, now > since, now - since >= Self.apiFailureGrace else { continue }
            let failing = health.answered ? "the API server refusing" : "no answer from the API server"
            problem = "\(failing) for \((now - since) / 1_000_000_000) s (\(collection)): \(health.failure ?? "")"
            break
        }
        state.update { $0.sourceProblem = problem }
    }
}
