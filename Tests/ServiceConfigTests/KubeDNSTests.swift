// The cluster DNS as a kubeadm cluster has it: CoreDNS behind the Service kube-dns, as
// `kubectl get svc kube-dns -n kube-system -o yaml` prints it, and its EndpointSlice as
// `kubectl get endpointslices -n kube-system -l kubernetes.io/service-name=kube-dns -o yaml`
// prints it. DNS is the Service every cluster has with a UDP and a TCP port of one number.
import Testing
@testable import ServiceConfig

private let kubeDNSService = """
    apiVersion: v1
    kind: Service
    metadata:
      annotations:
        prometheus.io/port: "9153"
        prometheus.io/scrape: "true"
      creationTimestamp: "2024-05-02T08:01:12Z"
      labels:
        k8s-app: kube-dns
        kubernetes.io/cluster-service: "true"
        kubernetes.io/name: CoreDNS
      name: kube-dns
      namespace: kube-system
      resourceVersion: "234"
      uid: 3b0f7c52-6d0e-4f6a-9a1e-2c5d8e9f0a1b
    spec:
      clusterIP: 10.96.0.10
      clusterIPs:
      - 10.96.0.10
      internalTrafficPolicy: Cluster
      ipFamilies:
      - IPv4
      ipFamilyPolicy: SingleStack
      ports:
      - name: dns
        port: 53
        protocol: UDP
        targetPort: 53
      - name: dns-tcp
        port: 53
        protocol: TCP
        targetPort: 53
      - name: metrics
        port: 9153
        protocol: TCP
        targetPort: 9153
      selector:
        k8s-app: kube-dns
      sessionAffinity: None
      type: ClusterIP
    status:
      loadBalancer: {}
    """

private let kubeDNSSlices = """
    apiVersion: v1
    items:
    - addressType: IPv4
      apiVersion: discovery.k8s.io/v1
      endpoints:
      - addresses:
        - 10.244.0.2
        conditions:
          ready: true
          serving: true
          terminating: false
        nodeName: control-plane
        targetRef:
          kind: Pod
          name: coredns-7db6d8ff4d-4xk9q
          namespace: kube-system
          uid: 5f2a9c1e-0b7d-4e3f-8a6c-1d2e3f4a5b6c
      - addresses:
        - 10.244.0.3
        conditions:
          ready: true
          serving: true
          terminating: false
        nodeName: control-plane
        targetRef:
          kind: Pod
          name: coredns-7db6d8ff4d-m2zrv
          namespace: kube-system
          uid: 7a8b9c0d-1e2f-4a3b-9c4d-5e6f7a8b9c0d
      kind: EndpointSlice
      metadata:
        annotations:
          endpoints.kubernetes.io/last-change-trigger-time: "2024-05-02T08:01:40Z"
        creationTimestamp: "2024-05-02T08:01:27Z"
        generateName: kube-dns-
        generation: 3
        labels:
          endpointslice.kubernetes.io/managed-by: endpointslice-controller.k8s.io
          k8s-app: kube-dns
          kubernetes.io/cluster-service: "true"
          kubernetes.io/name: CoreDNS
          kubernetes.io/service-name: kube-dns
        name: kube-dns-h7w2c
        namespace: kube-system
        ownerReferences:
        - apiVersion: v1
          blockOwnerDeletion: true
          controller: true
          kind: Service
          name: kube-dns
          uid: 3b0f7c52-6d0e-4f6a-9a1e-2c5d8e9f0a1b
        resourceVersion: "412"
        uid: 0c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f
      ports:
      - name: dns-tcp
        port: 53
        protocol: TCP
      - name: dns
        port: 53
        protocol: UDP
      - name: metrics
        port: 9153
        protocol: TCP
    kind: List
    metadata:
      resourceVersion: ""
    """

@Suite struct KubeDNSTests {
    @Test func kubeDNSServesAllThreePortsOnItsClusterIP() throws {
        let loaded = try ConfigFixture(["kube-dns.yaml": kubeDNSService, "kube-dns-slices.yaml": kubeDNSSlices]).plan().get()
        #expect(loaded.plan.printed == """
            kube-system/kube-dns:dns (UDP, flows idle out after 30s)
              listen   10.96.0.10:53/UDP (ClusterIP)
              endpoint 10.244.0.2:53
              endpoint 10.244.0.3:53
            kube-system/kube-dns:dns-tcp (TCP)
              listen   10.96.0.10:53 (ClusterIP)
              endpoint 10.244.0.2:53
              endpoint 10.244.0.3:53
            kube-system/kube-dns:metrics (TCP)
              listen   10.96.0.10:9153 (ClusterIP)
              endpoint 10.244.0.2:9153
              endpoint 10.244.0.3:9153

            """)
        #expect(loaded.plan.summary == "1 service, 6 endpoints, 3 listeners")
        #expect(!loaded.notes.contains { $0.contains("not served") }, "\(loaded.notes)")
        let diff = PlanDiff(from: nil, to: loaded.plan)
        #expect(diff.opened.map(\.address.socketKey.description) == ["10.96.0.10:53/UDP", "10.96.0.10:53", "10.96.0.10:9153"])
    }
}
