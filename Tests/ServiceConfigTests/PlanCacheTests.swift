// An incremental plan is the plan a full load makes: a seeded sequence of random edits
// (an endpoint moved, onto a pod's address or not, a Service added or removed, a selector
// changed, a Pod relabelled or moved onto another's address, an endpoint's targetRef
// changed, an ingress or egress NetworkPolicy added or removed, a NodePort clashing with
// another's) is planned through one ObjectStore, which rebuilds only the touched
// Services' parts, and from scratch; every step must give the same plan, notes and
// allocations, or the same errors.
import Foundation
import Testing
@testable import ServiceConfig

/// A small cluster as a list of documents, edited in place.
private struct Cluster {
    var services: [Int: (selector: String?, nodePort: Int?, clusterIP: Bool)] = [:]
    var endpoints: [Int: String] = [:]
    /// The pod an endpoint's targetRef names, by Service.
    var targetRefs: [Int: Int] = [:]
    var pods: [Int: (app: String, ip: String)] = [:]
    /// By index: the pods a policy selects (by app) and the pods its rule names (by app);
    /// policies 0-3 are ingress ones (even: from an address block, odd: from pods on the
    /// named port), 4-7 egress ones (to pods on the named port).
    var policies: [Int: (app: String, peer: String)] = [:]
    /// A NodePort clash to undo at the next edit: the Service and its NodePort before.
    var clash: (service: Int, nodePort: Int?)?
    /// A Service whose Endpoints are written twice (an error), until the next edit.
    var duplicate: Int?

    init() {
        for index in 0..<24 {
            services[index] = (index % 4 == 0 ? "app-\(index % 3)" : nil, index % 5 == 0 ? 30000 + index : nil, index % 6 != 0)
            endpoints[index] = "10.1.0.\(index)"
        }
        for index in 0..<6 { pods[index] = ("app-\(index % 3)", "10.2.0.\(index)") }
        endpoints[1] = "10.2.0.1"
        targetRefs = [2: 2, 5: 0, 8: 4, 10: 1]
        policies = [0: ("app-2", "app-0"), 3: ("app-1", "app-1"), 4: ("app-1", "app-2"), 5: ("app-0", "app-2")]
    }

    var text: String {
        var documents: [String] = []
        for (index, service) in services.sorted(by: { $0.key < $1.key }) {
            let namespace = "ns-\(index % 3)"
            let ports = "[{name: http, port: 80, targetPort: 8080\(service.nodePort.map { ", nodePort: \($0)" } ?? "")}]"
            documents.append("""
                apiVersion: v1
                kind: Service
                metadata: {name: svc-\(index), namespace: \(namespace)}
                spec:
                  type: \(service.nodePort == nil ? "ClusterIP" : "NodePort")
                \(service.clusterIP ? "  clusterIP: 10.96.0.\(index + 10)\n" : "")\
                \(service.selector.map { "  selector: {app: \($0)}\n" } ?? "")\
                  ports: \(ports)
                """)
            if let ip = endpoints[index] {
                let targetRef = targetRefs[index].map { ", targetRef: {kind: Pod, namespace: ns-\($0 % 3), name: pod-\($0)}" } ?? ""
                documents.append("""
                    apiVersion: v1
                    kind: Endpoints
                    metadata: {name: svc-\(index), namespace: \(namespace)}
                    subsets: [{addresses: [{ip: \(ip)\(targetRef)}], ports: [{name: http, port: 8080}]}]
                    """)
            }
        }
        for (index, pod) in pods.sorted(by: { $0.key < $1.key }) {
            documents.append("""
                apiVersion: v1
                kind: Pod
                metadata: {name: pod-\(index), namespace: ns-\(index % 3), labels: {app: \(pod.app)}}
                spec: {containers: [{name: app, image: web, ports: [{name: http, containerPort: 8080}]}]}
                status: {phase: Running, podIP: \(pod.ip), conditions: [{type: Ready, status: "True"}]}
                """)
        }
        for (index, policy) in policies.sorted(by: { $0.key < $1.key }) {
            let pods = "{podSelector: {matchLabels: {app: \(policy.peer)}}}, {namespaceSelector: {}, podSelector: {matchLabels: {app: \(policy.peer)}}}"
            let rules = switch index {
            case 4...: "policyTypes: [Egress], egress: [{to: [\(pods)], ports: [{port: http}]}]"
            case _ where index % 2 == 0: "ingress: [{from: [{ipBlock: {cidr: 192.0.2.0/24}}]}]"
            default: "ingress: [{from: [\(pods)], ports: [{port: http}]}]"
            }
            documents.append("""
                apiVersion: networking.k8s.io/v1
                kind: NetworkPolicy
                metadata: {name: policy-\(index), namespace: ns-\(index % 3)}
                spec: {podSelector: {matchLabels: {app: \(policy.app)}}, \(rules)}
                """)
        }
        if let duplicate, let ip = endpoints[duplicate] {
            documents.append("apiVersion: v1\nkind: Endpoints\nmetadata: {name: svc-\(duplicate), namespace: ns-\(duplicate % 3)}\n"
                + "subsets: [{addresses: [{ip: \(ip)}], ports: [{name: http, port: 8080}]}]")
        }
        return documents.map { "---\n" + $0 + "\n" }.joined()
    }

    /// One random edit, described.
    mutating func edit(_ random: inout SplitMix) -> String {
        if let (service, nodePort) = clash {
            services[service]?.nodePort = nodePort
            clash = nil
        }
        duplicate = nil
        let keys = services.keys.sorted()
        let some = keys[Int(random.next() % UInt64(keys.count))]
        let kind = random.next() % 11
        switch kind {
        case 0:
            // Onto a pod's address (of one pod, or of two) or elsewhere.
            endpoints[some] = random.next() % 2 == 0 ? "10.2.0.\(random.next() % 4)" : "10.3.\(random.next() % 200).\(random.next() % 200)"
            return "endpoint of svc-\(some)"
        case 1:
            let new = (keys.last ?? 0) + 1 + Int(random.next() % 3)
            services[new] = (random.next() % 2 == 0 ? "app-\(new % 3)" : nil, nil, random.next() % 2 == 0)
            endpoints[new] = "10.4.0.\(new % 250)"
            return "added svc-\(new)"
        case 2:
            services[some] = nil
            endpoints[some] = nil
            return "removed svc-\(some)"
        case 3:
            services[some]?.selector = "app-\(random.next() % 4)"
            return "selector of svc-\(some)"
        case 4:
            let pod = Int(random.next() % 8)
            // Its own address, one beyond the others', or another pod's.
            let address = [pod, pod + 100, Int(random.next() % 4)][Int(random.next() % 3)]
            pods[pod] = ("app-\(random.next() % 3)", "10.2.0.\(address)")
            return "pod-\(pod)"
        case 5, 9:
            // An ingress policy (5) or an egress one (9) added or removed.
            let policy = Int(random.next() % 4) + (kind == 5 ? 0 : 4)
            policies[policy] = policies[policy] == nil ? ("app-\(random.next() % 3)", "app-\(random.next() % 3)") : nil
            return "policy-\(policy)"
        case 10:
            // Always another: an unchanged file replans nothing (and gives back the last notes).
            let pod = Int(random.next() % 7)
            if let named = targetRefs[some] {
                targetRefs[some] = pod == 0 ? nil : (named + pod) % 8
            } else {
                targetRefs[some] = pod
            }
            return "targetRef of svc-\(some)"
        case 6:
            // A NodePort written where another Service has it: an error until undone.
            let other = keys[Int(random.next() % UInt64(keys.count))]
            let taken = services[other]?.nodePort ?? 30000 + Int(random.next() % 50)
            clash = (some, services[some]?.nodePort)
            services[some]?.nodePort = taken
            return "NodePort of svc-\(some)"
        case 7:
            duplicate = some
            return "Endpoints of svc-\(some) written twice"
        default:
            services[some]?.clusterIP.toggle()
            return "ClusterIP of svc-\(some) written or not"
        }
    }
}

/// A small seeded generator, so that a failing sequence can be replayed.
struct SplitMix {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Suite struct PlanCacheTests {
    let settings = NodeSettings(nodeAddresses: [IPAddress("127.0.0.1")!])

    @Test(arguments: [1, 2, 3, 4] as [UInt64])
    func incrementalPlansEqualFullPlansOverRandomEdits(seed: UInt64) throws {
        var cluster = Cluster()
        var random = SplitMix(state: seed)
        let fixture = try ConfigFixture(["cluster.yaml": cluster.text])
        let store = ObjectStore()
        let first = try Configuration.plan(paths: [fixture.directory], settings: settings, store: store).get()
        var previous = first.allocations
        var served = first.plan
        var incremental = 0
        for step in 0..<60 {
            let edit = cluster.edit(&random)
            try cluster.text.write(toFile: fixture.path("cluster.yaml"), atomically: true, encoding: .utf8)
            let kept = Configuration.plan(paths: [fixture.directory], settings: settings, previous: previous, store: store)
            let fresh = Configuration.plan(paths: [fixture.directory], settings: settings, previous: previous)
            switch (kept, fresh) {
            case (.success(let kept), .success(let fresh)):
                #expect(kept.plan == fresh.plan, "step \(step): \(edit)")
                #expect(kept.notes == fresh.notes, "step \(step): \(edit)")
                #expect(kept.allocations == fresh.allocations, "step \(step): \(edit)")
                if kept.loadStatistics.incremental { incremental += 1 }
                if let changed = kept.changedServices {
                    #expect(kept.loadStatistics.incremental)
                    expectPartialDiff(from: served, to: kept.plan, services: changed, "step \(step): \(edit)")
                }
                previous = kept.allocations
                served = kept.plan
            case (.failure(let kept), .failure(let fresh)):
                #expect(kept.errors.map(\.description) == fresh.errors.map(\.description), "step \(step): \(edit)")
            default:
                Issue.record("step \(step): \(edit): one plan failed and the other did not")
            }
        }
        #expect(incremental >= 15, "the edits the cache follows are planned incrementally")
    }

    /// The diff over the changed Services says what the full diff says, but for the
    /// listeners and routes of the other Services, which it leaves alone.
    private func expectPartialDiff(from old: ProxyPlan, to new: ProxyPlan, services: Set<ObjectKey>, _ comment: Comment) {
        guard PlanDiff.canDiff(from: old, to: new) else { return }
        let partial = PlanDiff(from: old, to: new, services: services)
        let full = PlanDiff(from: old, to: new)
        #expect(partial.isPartial && !full.isPartial)
        #expect(partial.opened == full.opened, comment)
        #expect(partial.closed == full.closed, comment)
        #expect(Set(partial.kept.map(\.address)).isSubset(of: full.kept.map(\.address)), comment)
        #expect(partial.newRoutes == full.newRoutes, comment)
        #expect(partial.keptRoutes.isSubset(of: full.keptRoutes), comment)
        #expect(partial.removedServicePorts == full.removedServicePorts, comment)
        #expect(partial.removedEndpoints == full.removedEndpoints, comment)
        #expect(partial.addedServiceAddresses == full.addedServiceAddresses, comment)
        #expect(partial.removedServiceAddresses == full.removedServiceAddresses, comment)
        #expect(partial.ingressChanged == full.ingressChanged && partial.dnsChanged == full.dnsChanged, comment)
        #expect(partial.egressChanged == full.egressChanged, comment)
    }

    @Test func oneChangedEndpointRebuildsOneService() throws {
        var cluster = Cluster()
        cluster.pods = [:]
        let fixture = try ConfigFixture(["cluster.yaml": cluster.text])
        let store = ObjectStore()
        let first = try Configuration.plan(paths: [fixture.directory], settings: settings, store: store).get()
        #expect(first.loadStatistics.servicesPlanned == 24)
        cluster.endpoints[7] = "10.9.9.9"
        try cluster.text.write(toFile: fixture.path("cluster.yaml"), atomically: true, encoding: .utf8)
        let second = try Configuration.plan(paths: [fixture.directory], settings: settings, previous: first.allocations, store: store).get()
        #expect(second.loadStatistics.incremental)
        #expect(second.loadStatistics.servicesPlanned == 1)
        #expect(second.loadStatistics.documentsChecked == 1)
        #expect(second.plan == (try Configuration.plan(paths: [fixture.directory], settings: settings, previous: first.allocations).get().plan))
    }
}
