// Pods from the API, for NetworkPolicy: watched only while the configuration holds a policy
// (APIWatchSet), decoded from a whole `kubectl get pod -o json` object without complaint, kept
// for policy alone (no selector join: the API's Services have EndpointSlices), and seen by
// the policy planner where the files' Pods are.
import Testing
@testable import ServiceConfig

private let source = "https://127.0.0.1:6443/api/v1/pods"

/// A Pod as `kubectl get pod -o json` prints it (Kubernetes 1.29): every field the API
/// server fills in, most of which svcproxy does not read.
private func podJSON(_ name: String, ip: String, labels: [String: String], version: String = "1") -> String {
    let labelText = labels.map { "\"\($0.key)\":\"\($0.value)\"" }.sorted().joined(separator: ",")
    return """
        {"apiVersion":"v1","kind":"Pod","metadata":{"annotations":{"kubectl.kubernetes.io/restartedAt":"2024-03-01T10:00:00Z"},\
        "creationTimestamp":"2024-03-01T10:00:05Z","generateName":"\(name)-7c9f8d-","labels":{\(labelText),"pod-template-hash":"7c9f8d"},\
        "managedFields":[{"apiVersion":"v1","fieldsType":"FieldsV1","fieldsV1":{"f:metadata":{"f:labels":{".":{},"f:app":{}}},\
        "f:spec":{"f:containers":{"k:{\\"name\\":\\"web\\"}":{".":{},"f:image":{}}}}},"manager":"kube-controller-manager",\
        "operation":"Update","time":"2024-03-01T10:00:05Z"},{"apiVersion":"v1","fieldsType":"FieldsV1","fieldsV1":{"f:status":\
        {"f:conditions":{}}},"manager":"kubelet","operation":"Update","subresource":"status","time":"2024-03-01T10:00:09Z"}],\
        "name":"\(name)","namespace":"default","ownerReferences":[{"apiVersion":"apps/v1","blockOwnerDeletion":true,"controller":true,\
        "kind":"ReplicaSet","name":"\(name)-7c9f8d","uid":"5b1e6c0a-1f1e-4c4e-9a51-0d6f1c1f2a11"}],"resourceVersion":"\(version)",\
        "uid":"9d0c3a52-8b1e-4f0e-b8a4-3c2a1b0f9e77"},\
        "spec":{"containers":[{"env":[{"name":"MODE","value":"production"},{"name":"POD_IP","valueFrom":{"fieldRef":{"apiVersion":"v1",\
        "fieldPath":"status.podIP"}}}],"image":"registry.k8s.io/nginx:1.25","imagePullPolicy":"IfNotPresent","livenessProbe":\
        {"failureThreshold":3,"httpGet":{"path":"/healthz","port":"http","scheme":"HTTP"},"periodSeconds":10,"successThreshold":1,\
        "timeoutSeconds":1},"name":"web","ports":[{"containerPort":8080,"name":"http","protocol":"TCP"},{"containerPort":9090,\
        "name":"metrics","protocol":"TCP"},{"containerPort":5353,"name":"dns","protocol":"UDP"},{"containerPort":7777,"protocol":"SCTP"}],\
        "resources":{"limits":{"cpu":"500m","memory":"256Mi"},"requests":{"cpu":"100m","memory":"128Mi"}},"securityContext":\
        {"allowPrivilegeEscalation":false,"capabilities":{"drop":["ALL"]},"runAsNonRoot":true},"terminationMessagePath":\
        "/dev/termination-log","terminationMessagePolicy":"File","volumeMounts":[{"mountPath":"/var/run/secrets/kubernetes.io/serviceaccount",\
        "name":"kube-api-access-x7q2p","readOnly":true}]}],"dnsPolicy":"ClusterFirst","enableServiceLinks":true,"hostname":"\(name)",\
        "nodeName":"node-3","preemptionPolicy":"PreemptLowerPriority","priority":0,"restartPolicy":"Always","schedulerName":\
        "default-scheduler","securityContext":{},"serviceAccount":"default","serviceAccountName":"default","subdomain":"web",\
        "terminationGracePeriodSeconds":30,"tolerations":[{"effect":"NoExecute","key":"node.kubernetes.io/not-ready","operator":"Exists",\
        "tolerationSeconds":300}],"topologySpreadConstraints":[{"labelSelector":{"matchLabels":{"app":"web"}},"maxSkew":1,\
        "topologyKey":"kubernetes.io/hostname","whenUnsatisfiable":"ScheduleAnyway"}],"volumes":[{"name":"kube-api-access-x7q2p",\
        "projected":{"defaultMode":420,"sources":[{"serviceAccountToken":{"expirationSeconds":3607,"path":"token"}},{"configMap":\
        {"items":[{"key":"ca.crt","path":"ca.crt"}],"name":"kube-root-ca.crt"}}]}}]},\
        "status":{"conditions":[{"lastProbeTime":null,"lastTransitionTime":"2024-03-01T10:00:05Z","status":"True","type":"PodReadyToStartContainers"},\
        {"lastProbeTime":null,"lastTransitionTime":"2024-03-01T10:00:05Z","status":"True","type":"Initialized"},{"lastProbeTime":null,\
        "lastTransitionTime":"2024-03-01T10:00:09Z","status":"True","type":"Ready"},{"lastProbeTime":null,"lastTransitionTime":\
        "2024-03-01T10:00:09Z","status":"True","type":"ContainersReady"},{"lastProbeTime":null,"lastTransitionTime":"2024-03-01T10:00:05Z",\
        "status":"True","type":"PodScheduled"}],"containerStatuses":[{"containerID":"containerd://4f1c2b","image":"registry.k8s.io/nginx:1.25",\
        "imageID":"registry.k8s.io/nginx@sha256:0d17b565c37bcbd895e9d92315a05c1c3c9a29f762b011a10c54a66cd53c9b31","lastState":{},\
        "name":"web","ready":true,"restartCount":0,"started":true,"state":{"running":{"startedAt":"2024-03-01T10:00:08Z"}}}],\
        "hostIP":"10.0.0.13","hostIPs":[{"ip":"10.0.0.13"}],"phase":"Running","podIP":"\(ip)","podIPs":[{"ip":"\(ip)"},{"ip":"fd00:10:244::7"}],\
        "qosClass":"Burstable","startTime":"2024-03-01T10:00:05Z"}}
        """
}

private func event(_ type: String, _ object: String, resource: APIResource) throws -> WatchEvent {
    try APIObjectDecoding.event(line: Array("{\"type\":\"\(type)\",\"object\":\(object)}".utf8), resource: resource, source: source).get()
}

private func sliceJSON(_ service: String, endpoints: [(ip: String, pod: String)]) -> String {
    let written = endpoints.map {
        "{\"addresses\":[\"\($0.ip)\"],\"conditions\":{\"ready\":true},\"targetRef\":{\"kind\":\"Pod\",\"namespace\":\"default\",\"name\":\"\($0.pod)\"}}"
    }.joined(separator: ",")
    return """
        {"kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1","metadata":{"name":"\(service)-abc","namespace":"default",\
        "labels":{"kubernetes.io/service-name":"\(service)"},"resourceVersion":"1"},"addressType":"IPv4",\
        "endpoints":[\(written)],"ports":[{"name":"http","protocol":"TCP","port":8080}]}
        """
}

private let serviceJSON = """
    {"kind":"Service","apiVersion":"v1","metadata":{"name":"web","namespace":"default","resourceVersion":"1"},\
    "spec":{"clusterIP":"10.96.0.10","clusterIPs":["10.96.0.10"],"selector":{"app":"web"},\
    "ports":[{"name":"http","protocol":"TCP","port":80,"targetPort":"http"}]}}
    """

private let policyJSON = """
    {"kind":"NetworkPolicy","apiVersion":"networking.k8s.io/v1","metadata":{"name":"web-from-frontend","namespace":"default",\
    "resourceVersion":"1"},"spec":{"podSelector":{"matchLabels":{"app":"web"}},"policyTypes":["Ingress"],\
    "ingress":[{"from":[{"podSelector":{"matchLabels":{"role":"frontend"}}}],"ports":[{"port":"http"}]}]}}
    """

@Suite struct APIWatchSetTests {
    @Test func podsAreWatchedOnlyWhilePoliciesExist() {
        #expect(APIWatchSet.wanted(networkPolicies: 0) == APIResource.watched)
        #expect(!APIWatchSet.wanted(networkPolicies: 0).contains(.pods))
        #expect(APIWatchSet.wanted(networkPolicies: 3) == APIResource.watched + [.pods])
    }

    @Test func aPlanWaitsForEveryWatchedKindsFirstList() {
        var set = APIWatchSet()
        #expect(set.update(networkPolicies: 0, running: Set(APIResource.watched), now: 0).isEmpty)
        for resource in APIResource.watched.dropLast() { set.listed(resource) }
        #expect(!set.complete)
        #expect(set.waitingFor == [.tlsSecrets])
        set.listed(.tlsSecrets)
        #expect(set.complete)
    }

    @Test func theFirstPolicyStartsPodsAndTheApplyWaitsForTheirList() {
        var set = APIWatchSet()
        for resource in APIResource.watched { set.listed(resource) }
        #expect(set.update(networkPolicies: 1, running: Set(APIResource.watched), now: 0) == [.start(.pods)])
        #expect(!set.complete)
        #expect(set.waitingFor == [.pods])
        // Still starting: nothing more to do while it runs.
        #expect(set.update(networkPolicies: 2, running: Set(APIWatchSet.all), now: 0).isEmpty)
        set.listed(.pods)
        #expect(set.complete)
    }

    @Test func theLastPolicyStopsPodsAndNothingWaits() {
        var set = APIWatchSet()
        _ = set.update(networkPolicies: 1, running: Set(APIResource.watched), now: 0)
        for resource in APIWatchSet.all { set.listed(resource) }
        #expect(set.update(networkPolicies: 0, running: Set(APIWatchSet.all), now: 0) == [.stop(.pods)])
        #expect(set.complete)
        set.listed(.pods)  // a list of the stopped watch, late
        #expect(!set.listed.contains(.pods))
        // Started again: its new watch must list it again.
        #expect(set.update(networkPolicies: 1, running: Set(APIResource.watched), now: 0) == [.start(.pods)])
        #expect(set.waitingFor == [.pods])
    }

    @Test func plansWaitForTheLatePodsListOnlyForTheGrace() {
        var set = APIWatchSet()
        #expect(!set.mayPlan(now: 100 * APIWatchSet.lateListGrace), "the first lists are never skipped")
        for resource in APIResource.watched { set.listed(resource) }
        #expect(set.mayPlan(now: 0))
        let started: UInt64 = 5_000_000_000
        #expect(set.update(networkPolicies: 1, running: Set(APIResource.watched), now: started) == [.start(.pods)])
        #expect(!set.mayPlan(now: started))
        #expect(set.lateListDeadline(now: started) == started + APIWatchSet.lateListGrace)
        // Started again after a failure: the wait still ends when the first start's does.
        _ = set.update(networkPolicies: 1, running: Set(APIResource.watched), now: started + 1_000_000_000)
        #expect(!set.mayPlan(now: started + APIWatchSet.lateListGrace - 1))
        #expect(set.mayPlan(now: started + APIWatchSet.lateListGrace))
        #expect(!set.complete, "still missing: /healthz says so")
        #expect(set.lateListDeadline(now: started + APIWatchSet.lateListGrace) == nil)
        set.listed(.pods)
        #expect(set.complete && set.startedAt.isEmpty)
    }

    @Test func aStartThatFailedIsTriedAgain() {
        var set = APIWatchSet()
        #expect(set.update(networkPolicies: 1, running: Set(APIResource.watched), now: 0) == [.start(.pods)])
        #expect(set.update(networkPolicies: 1, running: Set(APIResource.watched), now: 0) == [.start(.pods)])
    }

    @Test func theStoreCountsTheAPIsPolicies() throws {
        let store = ObjectStore()
        #expect(store.networkPolicyCount == 0)
        _ = try store.apply([event("ADDED", policyJSON, resource: .networkPolicies)])
        #expect(store.networkPolicyCount == 1)
        _ = try store.apply([event("MODIFIED", policyJSON.replacingOccurrences(of: "\"resourceVersion\":\"1\"", with: "\"resourceVersion\":\"2\""),
                                   resource: .networkPolicies)])
        #expect(store.networkPolicyCount == 1)
        _ = try store.apply([event("DELETED", policyJSON, resource: .networkPolicies)])
        #expect(store.networkPolicyCount == 0)
    }
}

@Suite struct APIPodTests {
    let settings = NodeSettings(nodeAddresses: [IPAddress("127.0.0.1")!])

    @Test func aWholeKubectlPodIsReadWithoutComplaintAndKeptForPolicy() throws {
        guard case .changed(.added, let object) = try event("ADDED", podJSON("web-0", ip: "10.244.1.7", labels: ["app": "web"]), resource: .pods) else {
            Issue.record("not an ADDED event")
            return
        }
        #expect(object.errors.isEmpty, "\(object.errors)")
        let pod = try #require(object.checked.objects.pods.first)
        #expect(pod.key == ObjectKey(namespace: "default", name: "web-0"))
        #expect(pod.labels == ["app": "web", "pod-template-hash": "7c9f8d"])
        #expect(pod.ips == [IPAddress("10.244.1.7")!, IPAddress("fd00:10:244::7")!])
        #expect(pod.ports.map(\.name) == ["http", "metrics", "dns", ""])
        #expect(pod.ports.map(\.protocol) == [.tcp, .tcp, .udp, .sctp])
        #expect(!pod.terminated)
        // What only a selector join or the cluster DNS reads is not kept.
        #expect(!pod.joinsSelectors)
        #expect(pod.nodeName == nil && pod.hostname == nil && pod.subdomain == nil)
    }

    /// Service web, its EndpointSlice of Pod web-0 (10.244.1.7), web-0 itself, then `more`.
    private func storeWithWeb(_ more: [WatchEvent]) throws -> ObjectStore {
        let store = ObjectStore()
        _ = try store.apply([
            event("ADDED", serviceJSON, resource: .services),
            event("ADDED", sliceJSON("web", endpoints: [(ip: "10.244.1.7", pod: "web-0")]), resource: .endpointSlices),
            event("ADDED", podJSON("web-0", ip: "10.244.1.7", labels: ["app": "web"]), resource: .pods),
        ] + more)
        return store
    }

    @Test func theAPIsPodsJoinNoSelectorTheirEndpointSlicesServe() throws {
        let store = try storeWithWeb([event("ADDED", podJSON("web-1", ip: "10.244.1.8", labels: ["app": "web"]), resource: .pods)])
        let loaded = try Configuration.plan(paths: [], settings: settings, store: store).get()
        let port = try #require(loaded.plan.servicePorts.first)
        #expect(port.endpoints.map(\.description) == ["10.244.1.7:8080"])
    }

    @Test func aPolicyAdmitsByTheAPIsPodsLabelsAndAddresses() throws {
        let store = try storeWithWeb([
            event("ADDED", podJSON("front-0", ip: "10.244.2.3", labels: ["role": "frontend"]), resource: .pods),
            event("ADDED", podJSON("other-0", ip: "10.244.2.4", labels: ["role": "other"]), resource: .pods),
            event("ADDED", policyJSON, resource: .networkPolicies),
        ])
        let first = try Configuration.plan(paths: [], settings: settings, store: store).get()
        let admission = try #require(first.plan.servicePorts.first?.ingress[Endpoint(ip: IPAddress("10.244.1.7")!, port: 8080)])
        #expect(admission.admits(IPAddress("10.244.2.3")!))
        #expect(!admission.admits(IPAddress("10.244.2.4")!))

        // The other pod relabelled: admitted at the next (incremental) plan.
        _ = try store.apply([event("MODIFIED", podJSON("other-0", ip: "10.244.2.4", labels: ["role": "frontend"], version: "2"), resource: .pods)])
        let second = try Configuration.plan(paths: [], settings: settings, previous: first.allocations, store: store).get()
        let relabelled = try #require(second.plan.servicePorts.first?.ingress[Endpoint(ip: IPAddress("10.244.1.7")!, port: 8080)])
        #expect(relabelled.admits(IPAddress("10.244.2.4")!))

        // The Pods dropped with the last policy: nothing isolated, nothing of them planned.
        _ = try store.apply([event("DELETED", policyJSON, resource: .networkPolicies)])
        #expect(store.replaceAll(of: .pods, with: []).changed == 3)
        let third = try Configuration.plan(paths: [], settings: settings, previous: second.allocations, store: store).get()
        #expect(third.plan.servicePorts.first?.ingress.isEmpty == true)
        #expect(third.plan.servicePorts.first?.endpoints.map(\.description) == ["10.244.1.7:8080"])
        #expect(store.apiObjectCount(of: "Pod") == 0)
    }
}
