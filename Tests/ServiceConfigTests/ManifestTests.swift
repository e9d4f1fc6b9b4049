// Real manifests load unchanged (kubectl output, the Kubernetes documentation's examples,
// a whole application), and the first-time user's file is explained step by step.
import Foundation
import Testing
@testable import ServiceConfig

/// Tests/fixtures, next to this file's directory.
let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("fixtures").path

func loadFixture(_ path: String, settings: NodeSettings = NodeSettings(nodeAddresses: [IPAddress("127.0.0.1")].compactMap { $0 }))
    -> Result<LoadedPlan, ConfigErrors>
{
    Configuration.plan(paths: [fixtures + "/" + path], settings: settings)
}

@Suite struct ManifestTests {
    @Test func kubectlListOfServiceSlicesAndPodsServesTheReadyPodAtItsNamedPort() throws {
        let loaded = try loadFixture("kubectl-list").get()
        #expect(loaded.plan.printed == """
            shop/web:http (TCP)
              listen   10.96.120.15:80 (ClusterIP)
              listen   127.0.0.1:31080 (NodePort)
              endpoint 10.244.1.7:8080
            shop/web:metrics (TCP)
              listen   10.96.120.15:9090 (ClusterIP)
              listen   127.0.0.1:31090 (NodePort)
              endpoint 10.244.1.7:9100

            """)
    }

    @Test func applicationManifestSkipsOtherKindsWithOneLineEach() throws {
        let loaded = try loadFixture("app").get()
        #expect(loaded.notes.filter { $0.contains("skipped") }.count == 3)
        #expect(loaded.notes.contains { $0.hasSuffix("skipped Deployment \"api\": svcproxy does not serve this kind") })
        let api = try #require(loaded.plan.servicePorts.first)
        #expect(api.endpoints.map(\.description) == ["10.244.1.20:9000", "10.244.2.21:9000", "10.244.3.22:9000"])
    }

    @Test func kubernetesDocumentationExamplesLoad() throws {
        let loaded = try loadFixture("docs").get()
        #expect(loaded.plan.serviceCount == 8)
        #expect(loaded.notes.contains("Service \"default/my-headless\" is a headless service: not proxied"))
        #expect(loaded.notes.contains("Service \"prod/my-database\" is an ExternalName service: not proxied"))
        let dnsUDP = try #require(loaded.plan.servicePorts.first { $0.name.port == "dns-udp" })
        #expect(dnsUDP.protocol == .udp && dnsUDP.listenAddresses.allSatisfy { $0.transport == .udp && $0.port == 53 })
        let lb = try #require(loaded.plan.servicePorts.first { $0.name.service.name == "my-service-lb" })
        #expect(lb.listenAddresses.map { "\($0) \($0.kind)" } == ["10.96.0.100:80 clusterIP", "127.0.0.1:\(lb.listenAddresses[1].port) nodePort", "192.0.2.127:80 loadBalancer"])
        let dns = try #require(loaded.plan.servicePorts.first { $0.name.port == "dns-tcp" })
        #expect(dns.sessionAffinity == .clientIP(timeoutSeconds: 10800))
        let external = try #require(loaded.plan.servicePorts.first { $0.name.service.name == "my-service-external" })
        #expect(external.listenAddresses.contains(ListenAddress(ip: IPAddress("198.51.100.32")!, port: 80, kind: .externalIP)))
    }

    @Test func firstTimeUsersFileIsExplainedStepByStep() throws {
        let text = try String(contentsOfFile: fixtures + "/first-time-user.yaml", encoding: .utf8)
        let tabbed = try ConfigFixture(["svc.yaml": text])
        #expect(tabbed.errors() == [
            "\(tabbed.path("svc.yaml")):4:1: YAML syntax error: line 4 is indented with a tab character, and YAML allows only spaces "
                + "for indentation: replace each tab with spaces (libyaml: found character that cannot start any token)",
        ])
        let spaced = try ConfigFixture(["svc.yaml": text.replacingOccurrences(of: "\t", with: "  ")])
        #expect(spaced.errors() == [
            "\(spaced.path("svc.yaml")):6:3: Service \"default/myapp-service\" is invalid: spec.selectors: Unknown field: did you mean spec.selector?",
        ])
        let corrected = try ConfigFixture(["svc.yaml": text.replacingOccurrences(of: "\t", with: "  ").replacingOccurrences(of: "selectors", with: "selector")])
        let plan = try corrected.plan().get().plan
        #expect(plan.servicePorts.first?.listenAddresses.filter { $0.kind == .nodePort }.map(\.port) == [30008], "on 127.0.0.1 only: the Service is IPv4")
    }

    @Test func suggestionsFindMisspelledAndMisplacedFields() {
        let root = Schemas.service
        guard case .object(let top) = root, case .object(let spec)? = top["spec"], case .object(let meta)? = top["metadata"] else {
            Issue.record("schema shape")
            return
        }
        #expect(StrictFields.suggestion(for: "selectors", at: "spec", among: spec, root: root) == "spec.selector")
        #expect(StrictFields.suggestion(for: "clusterip", at: "spec", among: spec, root: root) == "spec.clusterIP")
        #expect(StrictFields.suggestion(for: "extrnalTrafficPolicy", at: "spec", among: spec, root: root) == "spec.externalTrafficPolicy")
        #expect(StrictFields.suggestion(for: "selector", at: "metadata", among: meta, root: root) == "spec.selector")
        #expect(StrictFields.suggestion(for: "zzzzzz", at: "spec", among: spec, root: root) == nil)
    }

    @Test func endpointSliceStrictFieldsAndAddressTypes() throws {
        let yaml = """
            apiVersion: discovery.k8s.io/v1
            kind: EndpointSlice
            metadata: {name: s, labels: {kubernetes.io/service-name: web}}
            addressType: IPv6
            endpoints:
            - addresses: [10.0.0.1]
              condition: {ready: true}
            ports: [{name: http, port: 80}]
            """
        let errors = try ConfigFixture(["s.yaml": yaml]).errors().joined(separator: "\n")
        #expect(errors.contains(":6:15: EndpointSlice \"default/s\" is invalid: endpoints[0].addresses[0]: Invalid value: \"10.0.0.1\": must be a valid IPv6 address"))
        #expect(errors.contains(":7:3: EndpointSlice \"default/s\" is invalid: endpoints[0].condition: Unknown field: did you mean endpoints[0].conditions?"))
    }

    @Test func podFieldsWeDoNotReadAreIgnoredButWrongApiVersionsAreNot() throws {
        let yaml = """
            apiVersion: v1
            kind: Pod
            metadata: {name: p, labels: {app: a}}
            spec: {anything: [goes, here], containers: [{name: c, image: x, ports: [{name: http, containerPort: 80}]}]}
            status: {podIP: 10.0.0.1, whatever: 1}
            ---
            apiVersion: v2
            kind: Service
            metadata: {name: s}
            spec: {ports: [{port: 80}]}
            """
        let errors = try ConfigFixture(["p.yaml": yaml]).errors()
        #expect(errors.count == 1)
        #expect(errors.first?.contains(":7:13: Service \"default/s\" is invalid: apiVersion: Unsupported value: \"v2\": supported values: \"v1\"") == true)
    }
}
