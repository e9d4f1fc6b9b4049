// The API source: JSON as the API server writes it goes through the same decoder as a
// file, a batch of watch events changes the store's objects, and the next load plans
// them incrementally; an object that fails its kind's rules is left out, the rest serve.
import Foundation
import Testing
@testable import ServiceConfig

private let source = "https://127.0.0.1:6443"

/// A Service as the API server writes it in a list (no kind or apiVersion) or an event.
private func serviceJSON(_ name: String, clusterIP: String, port: Int = 80, version: String = "1", typed: Bool = true) -> String {
    let head = typed ? "\"kind\":\"Service\",\"apiVersion\":\"v1\"," : ""
    return """
        {\(head)"metadata":{"name":"\(name)","namespace":"default","uid":"u-\(name)","resourceVersion":"\(version)",\
        "creationTimestamp":null,"annotations":{"note":"a \\u003cb\\u003e \\"quoted\\" \\\\ line\\nbreak \\u0026 \(String(repeating: "x", count: 3000))"}},\
        "spec":{"clusterIP":"\(clusterIP)","clusterIPs":["\(clusterIP)"],"ports":[{"name":"http","protocol":"TCP","port":\(port),"targetPort":8080}],\
        "type":"ClusterIP","sessionAffinity":"None"},"status":{"loadBalancer":{}}}
        """
}

private func sliceJSON(_ service: String, addresses: [String], version: String = "1") -> String {
    let endpoints = addresses.map { "{\"addresses\":[\"\($0)\"],\"conditions\":{\"ready\":true}}" }.joined(separator: ",")
    return """
        {"kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1","metadata":{"name":"\(service)-abc","namespace":"default",\
        "labels":{"kubernetes.io/service-name":"\(service)"},"resourceVersion":"\(version)"},"addressType":"IPv4",\
        "endpoints":[\(endpoints)],"ports":[{"name":"http","protocol":"TCP","port":8080}]}
        """
}

private func event(_ type: String, _ object: String, resource: APIResource) throws -> WatchEvent {
    try APIObjectDecoding.event(line: Array("{\"type\":\"\(type)\",\"object\":\(object)}".utf8), resource: resource, source: source).get()
}

private func endpoints(_ loaded: LoadedPlan, _ service: String) -> [String] {
    loaded.plan.servicePorts.first { $0.name.service.name == service }?.endpoints.map { "\($0)" } ?? []
}

@Suite struct APISourceTests {
    let settings = NodeSettings(nodeAddresses: [IPAddress("127.0.0.1")!])

    @Test func aWatchEventOnOneLongLineDecodesWithItsEscapes() throws {
        guard case .changed(.added, let object) = try event("ADDED", serviceJSON("web", clusterIP: "10.96.0.10"), resource: .services) else {
            Issue.record("not an ADDED event")
            return
        }
        #expect(object.errors.isEmpty, "\(object.errors)")
        #expect(object.name == APIObjectName(kind: "Service", namespace: "default", name: "web"))
        #expect(object.resourceVersion == "1")
        let note = object.checked.objects.services.first?.annotations["note"]
        #expect(note?.hasPrefix("a <b> \"quoted\" \\ line\nbreak & xxx") == true)
    }

    @Test func deletedBookmarkAndGoneEvents() throws {
        guard case .deleted(let name, "7") = try event("DELETED", serviceJSON("web", clusterIP: "10.96.0.10", version: "7"), resource: .services) else {
            Issue.record("not a DELETED event")
            return
        }
        #expect(name.description == "Service \"default/web\"")
        let bookmark = try event("BOOKMARK", "{\"kind\":\"Service\",\"apiVersion\":\"v1\",\"metadata\":{\"resourceVersion\":\"42\"}}", resource: .services)
        guard case .bookmark("42") = bookmark else {
            Issue.record("not a bookmark: \(bookmark)")
            return
        }
        let gone = try event("ERROR", "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\","
                             + "\"message\":\"too old resource version: 1 (5)\",\"reason\":\"Expired\",\"code\":410}", resource: .services)
        guard case .error(410, "Expired", let message) = gone else {
            Issue.record("not a 410: \(gone)")
            return
        }
        #expect(message == "too old resource version: 1 (5)")
    }

    @Test func notJSONOrNotAnEventIsAnErrorNamingTheWatch() {
        let broken = APIObjectDecoding.event(line: Array("{\"type\":".utf8), resource: .services, source: source)
        #expect(throws: ConfigErrors.self) { try broken.get() }
        let unknown = APIObjectDecoding.event(line: Array("{\"type\":\"CHANGED\",\"object\":{}}".utf8), resource: .services, source: source)
        #expect((try? unknown.get()) == nil)
        if case .failure(let errors) = unknown { #expect(errors.description.hasPrefix("\(source):1:") && errors.description.contains("type: Unsupported value")) }
    }

    @Test func listItemsWithoutKindAreTheListsKind() throws {
        let text = "{\"kind\":\"ServiceList\",\"apiVersion\":\"v1\",\"metadata\":{\"resourceVersion\":\"9\",\"continue\":\"next\"},\"items\":["
            + serviceJSON("a", clusterIP: "10.96.0.10", typed: false) + "," + serviceJSON("b", clusterIP: "10.96.0.11", typed: false) + "]}"
        let page = try APIObjectDecoding.listPage(text: text, resource: .services, source: source).get()
        #expect(page.resourceVersion == "9")
        #expect(page.continueToken == "next")
        #expect(page.items.map(\.name.name) == ["a", "b"])
        #expect(page.items.allSatisfy { $0.errors.isEmpty })
    }

    @Test func eventsBetweenTwoLoadsArePlannedIncrementally() throws {
        let store = ObjectStore()
        var summary = try store.apply([
            event("ADDED", serviceJSON("web", clusterIP: "10.96.0.10"), resource: .services),
            event("ADDED", serviceJSON("api", clusterIP: "10.96.0.11"), resource: .services),
            event("ADDED", sliceJSON("web", addresses: ["10.1.0.1", "10.1.0.2"]), resource: .endpointSlices),
        ])
        #expect(summary.changed == 3)
        let first = try Configuration.plan(paths: [], settings: settings, store: store).get()
        #expect(endpoints(first, "web") == ["10.1.0.1:8080", "10.1.0.2:8080"])

        summary = try store.apply([event("MODIFIED", sliceJSON("web", addresses: ["10.1.0.2"], version: "2"), resource: .endpointSlices)])
        let second = try Configuration.plan(paths: [], settings: settings, previous: first.allocations, store: store).get()
        #expect(second.loadStatistics.incremental)
        #expect(second.changedServices == [ObjectKey(namespace: "default", name: "web")])
        #expect(endpoints(second, "web") == ["10.1.0.2:8080"])

        _ = try store.apply([event("DELETED", serviceJSON("api", clusterIP: "10.96.0.11"), resource: .services)])
        let third = try Configuration.plan(paths: [], settings: settings, previous: second.allocations, store: store).get()
        #expect(third.plan.servicePorts.map(\.name.service.name) == ["web"])
        #expect(store.apiObjectCount == 2)
    }

    @Test func anInvalidObjectIsLeftOutAndTheOthersServe() throws {
        let store = ObjectStore()
        let summary = try store.apply([
            event("ADDED", serviceJSON("web", clusterIP: "10.96.0.10"), resource: .services),
            event("ADDED", serviceJSON("bad", clusterIP: "10.96.0.12", port: 70000), resource: .services),
        ])
        #expect(summary.rejected.map(\.name.name) == ["bad"])
        #expect(summary.rejected.first?.errors.first?.description.contains("spec.ports[0].port: Invalid value: 70000") == true)
        let plan = try Configuration.plan(paths: [], settings: settings, store: store).get()
        #expect(plan.plan.servicePorts.map(\.name.service.name) == ["web"])
    }

    @Test func aRelistDeletesWhatIsGoneAndKeepsWhatIsAtTheSameVersion() throws {
        let store = ObjectStore()
        _ = try store.apply([
            event("ADDED", serviceJSON("web", clusterIP: "10.96.0.10"), resource: .services),
            event("ADDED", serviceJSON("api", clusterIP: "10.96.0.11"), resource: .services),
            event("ADDED", sliceJSON("web", addresses: ["10.1.0.1"]), resource: .endpointSlices),
        ])
        let first = try Configuration.plan(paths: [], settings: settings, store: store).get()
        let page = try APIObjectDecoding.listPage(
            text: "{\"metadata\":{\"resourceVersion\":\"5\"},\"items\":[\(serviceJSON("web", clusterIP: "10.96.0.10", typed: false))]}",
            resource: .services, source: source).get()
        let summary = store.replaceAll(of: .services, with: page.items)
        #expect(summary.changed == 1)  // api deleted; web at the same version kept
        let second = try Configuration.plan(paths: [], settings: settings, previous: first.allocations, store: store).get()
        #expect(second.plan.servicePorts.map(\.name.service.name) == ["web"])
        #expect(endpoints(second, "web") == ["10.1.0.1:8080"])
        #expect(store.apiObjectCount == 2)
    }
}

@Suite struct ServiceProxyNameTests {
    let settings = NodeSettings(nodeAddresses: [IPAddress("127.0.0.1")!])

    private func labelled(_ name: String, _ proxy: String) -> String {
        serviceJSON(name, clusterIP: "10.96.0.30").replacingOccurrences(
            of: "\"uid\":", with: "\"labels\":{\"service.kubernetes.io/service-proxy-name\":\"\(proxy)\"},\"uid\":")
    }

    @Test func anotherProxysServiceIsLeftOutAndOursServes() throws {
        let store = ObjectStore()
        let other = try event("ADDED", labelled("other", "cilium"), resource: .services)
        let ours = try event("ADDED", labelled("ours", "svcproxy"), resource: .services)
        let plain = try event("ADDED", serviceJSON("plain", clusterIP: "10.96.0.31"), resource: .services)
        #expect(store.apply([other, ours, plain]).changed == 1)  // without a name: only the unlabelled one
        store.serviceProxyName = "svcproxy"
        _ = store.apply([ours])
        let plan = try Configuration.plan(paths: [], settings: settings, store: store).get()
        #expect(plan.plan.servicePorts.map(\.name.service.name).sorted() == ["ours", "plain"])
    }
}

@Suite struct APIAndFilesTests {
    let settings = NodeSettings(nodeAddresses: [IPAddress("127.0.0.1")!])

    /// Planned as the store puts them together (files first, then the API's objects), from
    /// text: no file is written, so that the descriptor-counting tests running beside this
    /// one count only their own.
    @Test func aServiceBothInAFileAndFromTheAPIIsAnErrorNamingBoth() throws {
        let file = "/etc/svcproxy/web.yaml"
        let (objects, errors) = ConfigLoader.load(text: """
            apiVersion: v1
            kind: Service
            metadata:
              name: web
            spec:
              clusterIP: 10.96.0.20
              ports:
              - port: 80
            """, file: file)
        var checked = CheckedObjects(objects: objects, loadErrors: errors)
        guard case .changed(_, let fromAPI) = try event("ADDED", serviceJSON("web", clusterIP: "10.96.0.10"), resource: .services) else {
            Issue.record("not an ADDED event")
            return
        }
        checked.append(fromAPI.checked)
        guard case .failure(let found) = Configuration.plan(checked: checked, settings: settings) else {
            Issue.record("a Service both in a file and from the API was planned")
            return
        }
        let text = found.description
        #expect(text.contains("\(file):1:1"), "\(text)")
        #expect(text.hasPrefix(source), "\(text)")
    }
}
