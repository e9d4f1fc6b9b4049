// UDP service ports, planned as TCP ones are: the same listen addresses with their own
// transport, endpoints joined by protocol, their flows' timeout, and the errors when two
// ports claim one socket or one Service repeats a port and protocol.
import Testing
@testable import ServiceConfig

/// default/dns: a LoadBalancer with a ClusterIP, an external IP, a load-balancer IP and
/// NodePort 30053 for both protocols of port 53, and an Endpoints object for each.
let dnsService = """
    apiVersion: v1
    kind: Service
    metadata: {name: dns, namespace: default}
    spec:
      type: LoadBalancer
      clusterIP: 10.96.0.10
      externalIPs: [192.0.2.10]
      ports:
      - {name: dns, port: 53, protocol: UDP, targetPort: 5353, nodePort: 30053}
      - {name: dns-tcp, port: 53, protocol: TCP, targetPort: 5353, nodePort: 30053}
    status:
      loadBalancer:
        ingress: [{ip: 198.51.100.7}]
    ---
    apiVersion: v1
    kind: Endpoints
    metadata: {name: dns, namespace: default}
    subsets:
    - addresses: [{ip: 10.0.0.1}, {ip: 10.0.0.2}]
      ports:
      - {name: dns, port: 5353, protocol: UDP}
      - {name: dns-tcp, port: 5354, protocol: TCP}
    """

private func servicePort(_ loaded: LoadedPlan, _ port: String) throws -> ServicePortPlan {
    try #require(loaded.plan.servicePorts.first { $0.name.port == port })
}

@Suite struct UDPPlanTests {
    @Test func aUDPPortListensWhereATCPPortWouldWithItsOwnTransport() throws {
        let loaded = try ConfigFixture(["dns.yaml": dnsService]).plan().get()
        let udp = try servicePort(loaded, "dns")
        #expect(udp.protocol == .udp)
        #expect(udp.listenAddresses.map { "\($0) \($0.kind)" } == [
            "10.96.0.10:53/UDP clusterIP", "127.0.0.1:30053/UDP nodePort",
            "192.0.2.10:53/UDP externalIP", "198.51.100.7:53/UDP loadBalancer",
        ])
        #expect(udp.listenAddresses.allSatisfy { $0.transport == .udp })
        #expect(udp.endpoints.map(\.description) == ["10.0.0.1:5353", "10.0.0.2:5353"])
        #expect(udp.udpTimeout == .seconds(30) && udp.idleTimeout == nil)
        #expect(!loaded.notes.contains { $0.contains("not served") })
    }

    @Test func aTCPAndAUDPPortOfOneNumberAreTwoSocketsOnEveryAddress() throws {
        let loaded = try ConfigFixture(["dns.yaml": dnsService]).plan().get()
        let udp = try servicePort(loaded, "dns"), tcp = try servicePort(loaded, "dns-tcp")
        #expect(tcp.listenAddresses.map(\.description) == ["10.96.0.10:53", "127.0.0.1:30053", "192.0.2.10:53", "198.51.100.7:53"])
        #expect(tcp.endpoints.map(\.description) == ["10.0.0.1:5354", "10.0.0.2:5354"])
        #expect(tcp.udpTimeout == nil)
        #expect(Set(udp.listenAddresses.map(\.socketKey)).isDisjoint(with: tcp.listenAddresses.map(\.socketKey)))
        #expect(udp.listenAddresses.map { IPPort(ip: $0.ip, port: $0.port) } == tcp.listenAddresses.map { IPPort(ip: $0.ip, port: $0.port) })
        #expect(loaded.plan.listenerCount == 8)
    }

    @Test func sliceEndpointsJoinByNameAndProtocol() throws {
        let yaml = """
            apiVersion: v1
            kind: Service
            metadata: {name: dns, namespace: default}
            spec:
              clusterIP: 10.96.0.10
              ports: [{name: dns, port: 53, protocol: UDP}]
            ---
            apiVersion: discovery.k8s.io/v1
            kind: EndpointSlice
            metadata: {name: dns-a, namespace: default, labels: {kubernetes.io/service-name: dns}}
            addressType: IPv4
            endpoints: [{addresses: [10.0.0.1]}, {addresses: [10.0.0.2], conditions: {ready: false}}]
            ports: [{name: dns, port: 5353, protocol: UDP}]
            ---
            apiVersion: discovery.k8s.io/v1
            kind: EndpointSlice
            metadata: {name: dns-b, namespace: default, labels: {kubernetes.io/service-name: dns}}
            addressType: IPv4
            endpoints: [{addresses: [10.0.0.9]}]
            ports: [{name: dns, port: 9999}]
            """
        let loaded = try ConfigFixture(["dns.yaml": yaml]).plan().get()
        #expect(try servicePort(loaded, "dns").endpoints.map(\.description) == ["10.0.0.1:5353"], "a TCP slice port of the same name is not ours")
    }

    @Test func aNamedTargetPortResolvesAmongThePodsPortsOfItsProtocol() throws {
        let yaml = """
            apiVersion: v1
            kind: Service
            metadata: {name: dns, namespace: default}
            spec:
              clusterIP: 10.96.0.10
              selector: {app: dns}
              ports:
              - {name: dns, port: 53, protocol: UDP, targetPort: dns}
              - {name: dns-tcp, port: 53, protocol: TCP, targetPort: dns}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: dns-1, namespace: default, labels: {app: dns}}
            spec:
              containers:
              - name: coredns
                image: coredns
                ports: [{name: dns, containerPort: 5353, protocol: UDP}, {name: dns-tcp, containerPort: 5353, protocol: TCP}]
            status: {phase: Running, podIP: 10.0.0.1, conditions: [{type: Ready, status: "True"}]}
            """
        let loaded = try ConfigFixture(["dns.yaml": yaml]).plan().get()
        #expect(try servicePort(loaded, "dns").endpoints.map(\.description) == ["10.0.0.1:5353"])
        #expect(try servicePort(loaded, "dns-tcp").endpoints.isEmpty, "the pod's port named dns is UDP, not TCP")
    }

    @Test func twoUDPPortsOnOneAddressAndPortAreADuplicateButATCPOneIsNot() throws {
        func service(_ name: String, _ ip: String, _ proto: String) -> String {
            "apiVersion: v1\nkind: Service\nmetadata: {name: \(name)}\nspec:\n  clusterIP: \(ip)\n  externalIPs: [192.0.2.10]\n"
                + "  ports: [{name: dns, port: 53, protocol: \(proto)}]\n"
        }
        let clash = try ConfigFixture(["a.yaml": service("a", "10.96.0.10", "UDP"), "b.yaml": service("b", "10.96.0.11", "UDP")])
        #expect(clash.errors() == [
            "\(clash.path("b.yaml")):7:11: Service \"default/b\" is invalid: spec.ports[0]: "
                + "Duplicate value: 192.0.2.10:53/UDP: default/a:dns already listens there",
        ])
        let mixed = try ConfigFixture(["a.yaml": service("a", "10.96.0.10", "UDP"), "b.yaml": service("b", "10.96.0.11", "TCP")])
        #expect(mixed.errors() == [])
    }

    @Test func aRepeatedPortAndProtocolIsKubernetesDuplicateError() throws {
        let yaml = """
            apiVersion: v1
            kind: Service
            metadata: {name: dns}
            spec:
              ports:
              - {name: dns, port: 53, protocol: UDP}
              - {name: dns-tcp, port: 53, protocol: TCP}
              - {name: dns-again, port: 53, protocol: UDP}
            """
        let fixture = try ConfigFixture(["dns.yaml": yaml])
        #expect(fixture.errors() == [
            "\(fixture.path("dns.yaml")):8:5: Service \"default/dns\" is invalid: spec.ports[2]: Duplicate value: "
                + "core.ServicePort{Name:\"\", Protocol:\"UDP\", AppProtocol:(*string)(nil), Port:53, "
                + "TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:\"\"}, NodePort:0}",
        ])
    }

    @Test func theUDPTimeoutAnnotationSetsTheFlowTimeoutOfUDPPortsOnly() throws {
        func annotated(_ annotations: String) -> String {
            dnsService.replacingOccurrences(of: "metadata: {name: dns, namespace: default}\nspec:",
                                            with: "metadata: {name: dns, namespace: default, annotations: \(annotations)}\nspec:")
        }
        let loaded = try ConfigFixture(["dns.yaml": annotated("{svcproxy.io/udp-timeout: 2m, svcproxy.io/idle-timeout: 1h}")]).plan().get()
        let udp = try servicePort(loaded, "dns"), tcp = try servicePort(loaded, "dns-tcp")
        #expect(udp.udpTimeout == .seconds(120) && udp.idleTimeout == nil)
        #expect(tcp.udpTimeout == nil && tcp.idleTimeout == .seconds(3600))
        for (text, detail) in [("0s", "'0s' must be more than 0s: a UDP flow ends only when it times out"),
                               ("soon", "'soon' is not a duration (e.g. 30s, 500ms, 2m, 1h30m)")] {
            let fixture = try ConfigFixture(["dns.yaml": annotated("{svcproxy.io/udp-timeout: \(text)}")])
            #expect(fixture.errors() == [
                "\(fixture.path("dns.yaml")):3:56: Service \"default/dns\" is invalid: "
                    + "metadata.annotations[svcproxy.io/udp-timeout]: Invalid value: \"\(text)\": \(detail)",
            ])
        }
    }

    @Test func sctpIsStillNotedAndSkipped() throws {
        let yaml = "apiVersion: v1\nkind: Service\nmetadata: {name: sig}\nspec:\n  ports: [{name: s, port: 3868, protocol: SCTP}, {name: u, port: 3868, protocol: UDP}]\n"
        let loaded = try ConfigFixture(["sig.yaml": yaml]).plan().get()
        #expect(loaded.notes.contains("default/sig:s is SCTP: only TCP and UDP are proxied, this port is not served"))
        #expect(loaded.plan.servicePorts.map(\.name.description) == ["default/sig:u"])
    }

    @Test func aUDPPortTakesTheNodePortWrittenForTheTCPPortOfItsNumber() throws {
        let yaml = """
            apiVersion: v1
            kind: Service
            metadata: {name: dns}
            spec:
              type: NodePort
              ports:
              - {name: dns-tcp, port: 53, nodePort: 30053}
              - {name: dns, port: 53, protocol: UDP}
            """
        let loaded = try ConfigFixture(["dns.yaml": yaml]).plan().get()
        let nodePorts = try servicePort(loaded, "dns").listenAddresses.filter { $0.kind == .nodePort }.map(\.description)
        #expect(nodePorts == ["127.0.0.1:30053/UDP"], "as the API server's findRequestedNodePort")
    }

    @Test func anIngressListenerSharesItsNumberWithAUDPPortButSendsHTTPOnlyToTCP() throws {
        let yaml = """
            apiVersion: v1
            kind: Service
            metadata: {name: echo, namespace: shop}
            spec:
              clusterIP: 10.96.0.10
              ports: [{name: echo, port: 80, protocol: UDP}]
            """
        var settings = NodeSettings(nodeAddresses: [IPAddress("127.0.0.1")!])
        settings.ingressHTTPBindAddresses = [try SettingsSyntax.bindAddress("10.96.0.10:80").get()]
        let ingress = ingressYAML("a", spec: ingressRule(host: "x.example.com", "/ Prefix echo:80"))
        let loaded = try ConfigFixture(["echo.yaml": yaml, "ing.yaml": ingress]).plan(settings: settings).get()
        #expect(loaded.plan.ingress?.listenAddresses.map(\.description) == ["10.96.0.10:80"])
        #expect(loaded.notes.contains { $0.hasSuffix("echo:80: port 80 of Service \"shop/echo\" is UDP: HTTP goes only to TCP ports: its requests get 503") },
                "\(loaded.notes)")
    }

    @Test func printPlanShowsUDPPortsAsServed() throws {
        let loaded = try ConfigFixture(["dns.yaml": dnsService]).plan().get()
        #expect(loaded.plan.printed == """
            default/dns:dns (UDP, flows idle out after 30s)
              listen   10.96.0.10:53/UDP (ClusterIP)
              listen   127.0.0.1:30053/UDP (NodePort)
              listen   192.0.2.10:53/UDP (external IP)
              listen   198.51.100.7:53/UDP (LoadBalancer)
              endpoint 10.0.0.1:5353
              endpoint 10.0.0.2:5353
            default/dns:dns-tcp (TCP)
              listen   10.96.0.10:53 (ClusterIP)
              listen   127.0.0.1:30053 (NodePort)
              listen   192.0.2.10:53 (external IP)
              listen   198.51.100.7:53 (LoadBalancer)
              endpoint 10.0.0.1:5354
              endpoint 10.0.0.2:5354

            """)
        let limited = dnsService.replacingOccurrences(of: "metadata: {name: dns, namespace: default}\nspec:",
                                                      with: "metadata: {name: dns, namespace: default, annotations: {svcproxy.io/max-connections: \"100\"}}\nspec:")
            .components(separatedBy: "---")[0]
        let printed = try ConfigFixture(["dns.yaml": limited]).plan().get().plan.printed
        #expect(printed.hasPrefix("default/dns:dns (UDP, at most 100 flows, flows idle out after 30s)\n"))
        #expect(printed.contains("  no ready endpoints: datagrams are dropped\ndefault/dns:dns-tcp (TCP, at most 100 connections)\n"))
    }
}
