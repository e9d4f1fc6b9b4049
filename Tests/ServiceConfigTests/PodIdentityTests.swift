// A NetworkPolicy applies to pods, not to addresses: endpoints carry the pod they came
// from (the selector join's Pod, an EndpointSlice's or Endpoints' targetRef), so pods that
// share an address (on 127.0.0.1 at ports of their own, hostNetwork pods at the node's)
// are isolated, admitted and given named ports each as itself; only an endpoint whose
// source names no pod is matched by address.
import Foundation
import Testing
@testable import ServiceConfig

/// Service `backend`, by selector `tier: backend` to the port named `serve`, or (with no
/// selector) to `targetPort`.
private func backendService(selector: Bool = true, targetPort: String = "serve") -> String {
    """
    apiVersion: v1
    kind: Service
    metadata: {name: backend, namespace: shop}
    spec:
      clusterIP: 10.96.0.10
    \(selector ? "  selector: {tier: backend}\n" : "")\
      ports: [{name: http, port: 80, targetPort: \(targetPort)}]
    """
}

/// Pods web and db at `ip` (web serving on 8081, db on 8082, each port named `serve`).
private func webAndDB(at ip: String, spec: String = "") -> [String] {
    [podDocument("web", ip: ip, labels: "{tier: backend, app: web}", ports: "[{name: serve, containerPort: 8081}]", spec: spec),
     podDocument("db", ip: ip, labels: "{tier: backend, app: db}", ports: "[{name: serve, containerPort: 8082}]", spec: spec)]
}

/// Pods web and db, both at 127.0.0.1, behind one Service.
private let sharedAddress = [backendService()] + webAndDB(at: "127.0.0.1")

private func servicePort(_ documents: [String]) throws -> ServicePortPlan {
    let loaded = try ConfigFixture(["all.yaml": documents.joined(separator: "\n---\n")]).plan().get()
    return try #require(loaded.plan.servicePorts.first)
}

/// Each endpoint's admission, by port: nil where the endpoint admits everyone.
private func admissionsByPort(_ documents: [String]) throws -> [Int: IngressAdmission?] {
    let port = try servicePort(documents)
    return Dictionary(uniqueKeysWithValues: port.endpoints.map { ($0.port, port.ingress[$0]) })
}

private func admits(_ admission: IngressAdmission??, _ client: String) -> Bool {
    guard let admission, let admission else { return true }
    return IPAddress(client).map(admission.admits) ?? false
}

/// A slice of Service `backend` with endpoints at 127.0.0.1 (ports 8081 and 8082 in two
/// slices), each with `targetRef` as given (nil: none).
private func slices(web: String?, db: String?) -> [String] {
    func slice(_ name: String, port: Int, targetRef: String?) -> String {
        """
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata: {name: \(name), namespace: shop, labels: {kubernetes.io/service-name: backend}}
        addressType: IPv4
        endpoints: [{addresses: [127.0.0.1]\(targetRef.map { ", targetRef: \($0)" } ?? "")}]
        ports: [{name: http, port: \(port)}]
        """
    }
    return [backendService(selector: false, targetPort: "8080"), slice("backend-web", port: 8081, targetRef: web),
            slice("backend-db", port: 8082, targetRef: db)]
}

private let dbFromOne = policyDocument("db-from-one", """
      podSelector: {matchLabels: {app: db}}
      ingress: [{from: [{ipBlock: {cidr: 192.0.2.1/32}}]}]

    """)

@Suite struct PodIdentityTests {
    @Test func aPolicySelectingOnePodOfASharedAddressLeavesTheOtherOpen() throws {
        let result = try admissionsByPort(sharedAddress + [dbFromOne])
        #expect(result.count == 2)
        #expect(admits(result[8081], "192.0.2.9"), "web is selected by no policy")
        #expect(!admits(result[8082], "192.0.2.9"))
        #expect(admits(result[8082], "192.0.2.1"))
        #expect(try servicePort(sharedAddress + [dbFromOne]).pods.mapValues(\.key.name) == [
            Endpoint(ip: IPAddress("127.0.0.1")!, port: 8081): "web", Endpoint(ip: IPAddress("127.0.0.1")!, port: 8082): "db",
        ])
    }

    @Test func aNamedPortIsEachPodsOwnNumber() throws {
        let serveOnly = policyDocument("serve-only", "  podSelector: {}\n  ingress: [{ports: [{port: serve}]}]\n")
        let result = try admissionsByPort(sharedAddress + [serveOnly])
        #expect(admits(result[8081], "192.0.2.9") && admits(result[8082], "192.0.2.9"), "serve is 8081 at web and 8082 at db")
        let port = try servicePort(sharedAddress + [serveOnly])
        #expect(port.pods.count == 2 && port.pods.values.allSatisfy { $0.portNames == ["serve"] })
        #expect(try servicePort(sharedAddress).pods.isEmpty, "without NetworkPolicies, endpoints are not resolved to pods")
    }

    @Test func aSlicesTargetRefNamesThePodOfASharedAddress() throws {
        let pods = webAndDB(at: "127.0.0.1")
        let named = try admissionsByPort(slices(web: "{kind: Pod, name: web}", db: "{kind: Pod, namespace: shop, name: db}") + pods + [dbFromOne])
        #expect(admits(named[8081], "192.0.2.9"))
        #expect(!admits(named[8082], "192.0.2.9"))
        // Named the other way round, the isolation follows the names, not the ports.
        let swapped = try admissionsByPort(slices(web: "{kind: Pod, name: db}", db: "{kind: Pod, name: web}") + pods + [dbFromOne])
        #expect(!admits(swapped[8081], "192.0.2.9"))
        #expect(admits(swapped[8082], "192.0.2.9"))
        // Another kind of object is no pod: nothing isolates it.
        let other = try admissionsByPort(slices(web: "{kind: Node, name: db}", db: "{kind: Node, name: db}") + pods + [dbFromOne])
        #expect(admits(other[8081], "192.0.2.9") && admits(other[8082], "192.0.2.9"))
    }

    @Test func anEndpointsTargetRefNamesThePodOfASharedAddress() throws {
        let endpoints = backendService(selector: false, targetPort: "8082") + """

            ---
            apiVersion: v1
            kind: Endpoints
            metadata: {name: backend, namespace: shop}
            subsets: [{addresses: [{ip: 127.0.0.1, targetRef: {kind: Pod, name: web}}], ports: [{name: http, port: 8082}]}]
            """
        let result = try admissionsByPort([endpoints] + webAndDB(at: "127.0.0.1") + [dbFromOne])
        #expect(admits(result[8082], "192.0.2.9"), "the address and port are db's, but the endpoint says it is web")
    }

    @Test func anUnnamedEndpointIsThePodDeclaringItsPortElseTheFirstWithANote() throws {
        let pods = webAndDB(at: "127.0.0.1")
        let byPort = try admissionsByPort(slices(web: nil, db: nil) + pods + [dbFromOne])
        #expect(admits(byPort[8081], "192.0.2.9"))
        #expect(!admits(byPort[8082], "192.0.2.9"), "db declares 8082")

        let undeclared = [
            podDocument("web", ip: "127.0.0.1", labels: "{app: web}", ports: "[]"),
            podDocument("db", ip: "127.0.0.1", labels: "{app: db}", ports: "[]"),
        ]
        let documents = slices(web: nil, db: nil) + undeclared + [dbFromOne]
        let loaded = try ConfigFixture(["all.yaml": documents.joined(separator: "\n---\n")]).plan().get()
        let port = try #require(loaded.plan.servicePorts.first)
        #expect(port.pods.count == 2 && port.pods.values.allSatisfy { $0.key.name == "db" }, "neither declares the port: the first by name")
        #expect(loaded.notes.contains(
            "Endpoint 127.0.0.1:8081 of shop/backend:http is at an address of several pods and its source names none: "
                + "taken as pod shop/db, not shop/web (a targetRef names the pod)"), "\(loaded.notes)")
    }

    @Test func hostNetworkPodsAreEndpointsEachAsItselfButNeverPeersByAddress() throws {
        let documents = [backendService()] + webAndDB(at: "192.168.1.10", spec: "hostNetwork: true") + [
            policyDocument("db-from-web", "  podSelector: {matchLabels: {app: db}}\n  ingress: [{from: [{podSelector: {matchLabels: {app: web}}}]}]\n"),
        ]
        let result = try admissionsByPort(documents)
        #expect(admits(result[8081], "203.0.113.1"))
        #expect(!admits(result[8082], "192.168.1.10"), "web's traffic is the node's: its address is admitted by no pod selector")
        #expect(result[8082]??.peers.isEmpty == true)
    }

    @Test func targetRefsAreReadWithTheirNamespaceDefaulted() throws {
        let (objects, errors) = ConfigLoader.load(text: slices(web: "{kind: Pod, name: web}", db: "{kind: Pod, namespace: other, name: db}")
            .joined(separator: "\n---\n"), file: "slices.yaml")
        #expect(errors.isEmpty)
        let refs = objects.endpointSlices.sorted { $0.key < $1.key }.map { $0.endpoints[0].pod }
        #expect(refs == [.named(ObjectKey(namespace: "other", name: "db")), .named(ObjectKey(namespace: "shop", name: "web"))])
        #expect(PodReference(kind: "Node", namespace: nil, name: "n", in: "shop") == .notAPod)
        #expect(PodReference(kind: nil, namespace: nil, name: "n", in: "shop") == .named(ObjectKey(namespace: "shop", name: "n")))
        #expect(PodReference(kind: nil, namespace: nil, name: nil, in: "shop") == .unnamed)
    }
}
