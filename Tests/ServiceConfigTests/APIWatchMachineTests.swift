// The list-and-watch protocol step by step: pages, the watch from the list's version,
// resuming from the last version seen, 410 → one relist, backoff on other failures.
import Testing
@testable import ServiceConfig

private func object(_ name: String, version: String) -> APIObject {
    APIObject(name: APIObjectName(kind: "Service", namespace: "default", name: name), resourceVersion: version, checked: CheckedObjects())
}

private func page(_ names: [String], version: String = "10", continueToken: String? = nil) -> APIListPage {
    var page = APIListPage()
    page.items = names.map { object($0, version: "1") }
    page.resourceVersion = version
    page.continueToken = continueToken
    return page
}

/// The actions, each in a few words, to compare whole.
private func describe(_ actions: [APIWatchMachine.Action]) -> [String] {
    actions.map { action in
        switch action {
        case .get(let path): "GET \(path)"
        case .replaceAll(let items): "replace " + items.map(\.name.name).joined(separator: ",")
        case .apply(.changed(let change, let object)): "apply \(change.rawValue) \(object.name.name)"
        case .apply(.deleted(let name, _)): "apply DELETED \(name.name)"
        case .apply: "apply other"
        case .backOff(let attempt): "back off \(attempt)"
        }
    }
}

@Suite struct APIWatchMachineTests {
    @Test func pagesThenAWatchFromTheListsVersion() {
        var machine = APIWatchMachine(resource: .services, pageSize: 2, watchTimeoutSeconds: 60)
        #expect(describe(machine.start()) == ["GET /api/v1/services?limit=2"])
        #expect(describe(machine.handle(.listPage(page(["a", "b"], continueToken: "eyJ2Ijo+/=")))) == ["GET /api/v1/services?limit=2&continue=eyJ2Ijo%2B%2F%3D"])
        #expect(!machine.synced)
        #expect(describe(machine.handle(.listPage(page(["c"], version: "12")))) == [
            "replace a,b,c", "GET /api/v1/services?watch=1&allowWatchBookmarks=true&resourceVersion=12&timeoutSeconds=60",
        ])
        #expect(machine.synced)
    }

    @Test func aWatchThatEndsResumesFromTheLastVersionWithoutAList() {
        var machine = APIWatchMachine(resource: .services, watchTimeoutSeconds: 60)
        _ = machine.handle(.listPage(page(["a"])))
        #expect(describe(machine.handle(.watchEvent(.changed(.added, object("b", version: "15"))))) == ["apply ADDED b"])
        #expect(describe(machine.handle(.watchEvent(.bookmark(resourceVersion: "20")))) == [])
        #expect(describe(machine.handle(.watchEnded)) == ["GET /api/v1/services?watch=1&allowWatchBookmarks=true&resourceVersion=20&timeoutSeconds=60"])
        #expect(machine.relists == 0)
        #expect(machine.watchRestarts == 1)
    }

    @Test func goneAsAStatusOrAnEventListsAgainOnce() {
        var machine = APIWatchMachine(resource: .services)
        _ = machine.handle(.listPage(page(["a"])))
        #expect(describe(machine.handle(.watchEvent(.error(code: 410, reason: "Expired", message: "too old")))) == ["GET /api/v1/services?limit=500"])
        #expect(machine.relists == 1)
        #expect(describe(machine.handle(.listPage(page(["a"], version: "30")))).first == "replace a")
        _ = machine.handle(.failed(status: 410, detail: "Gone"))
        #expect(machine.relists == 2)
        #expect(machine.state == .listing(continueToken: nil))
    }

    @Test func otherFailuresBackOffAndRetryWhatFailed() {
        var machine = APIWatchMachine(resource: .endpointSlices, watchTimeoutSeconds: 60)
        #expect(describe(machine.handle(.failed(status: nil, detail: "Connection refused"))) == ["back off 1"])
        #expect(describe(machine.handle(.failed(status: 500, detail: "late"))) == [])  // already backing off
        #expect(describe(machine.handle(.backoffElapsed)) == ["GET /apis/discovery.k8s.io/v1/endpointslices?limit=500"])
        #expect(describe(machine.handle(.failed(status: 503, detail: "unavailable"))) == ["back off 2"])
        _ = machine.handle(.backoffElapsed)
        _ = machine.handle(.listPage(page(["a"], version: "40")))
        #expect(machine.failures == 0)
        #expect(describe(machine.handle(.failed(status: nil, detail: "reset"))) == ["back off 1"])
        #expect(describe(machine.handle(.backoffElapsed))
            == ["GET /apis/discovery.k8s.io/v1/endpointslices?watch=1&allowWatchBookmarks=true&resourceVersion=40&timeoutSeconds=60"])
    }

    @Test func backoffDoublesToItsCapWithJitterUpToItsOwnLength() {
        #expect(APIBackoff.delay(attempt: 1, random: 0) == 800_000_000)
        #expect(APIBackoff.delay(attempt: 2, random: 0) == 1_600_000_000)
        #expect(APIBackoff.delay(attempt: 1, random: 0.5) == 1_200_000_000)
        #expect(APIBackoff.delay(attempt: 40, random: 0) == 30_000_000_000)
        #expect(APIBackoff.delay(attempt: 40, random: 0.999) < 60_000_000_000)
    }

    @Test func aFieldSelectorGoesOnTheListAndTheWatch() {
        var machine = APIWatchMachine(resource: .tlsSecrets, watchTimeoutSeconds: 60)
        #expect(describe(machine.start()) == ["GET /api/v1/secrets?limit=500&fieldSelector=type%3Dkubernetes.io%2Ftls"])
        #expect(describe(machine.handle(.listPage(page([], version: "3")))).last
            == "GET /api/v1/secrets?watch=1&allowWatchBookmarks=true&resourceVersion=3&timeoutSeconds=60&fieldSelector=type%3Dkubernetes.io%2Ftls")
    }
}
