import Foundation
import Testing
@testable import ServiceConfig

@Suite struct PlanTests {
    @Test func servicePortsJoinEndpointsByPortName() throws {
        let loaded = try ConfigFixture(["web.yaml": webService]).plan().get()
        let http = try #require(loaded.plan.servicePorts.first { $0.name.port == "http" })
        #expect(http.name.description == "shop/web:http")
        #expect(http.endpoints.map(\.description) == ["10.0.0.1:8080", "10.0.0.2:8080"])
        let metrics = try #require(loaded.plan.servicePorts.first { $0.name.port == "metrics" })
        #expect(metrics.endpoints.map(\.description) == ["10.0.0.1:9100", "10.0.0.2:9100"])
    }

    @Test func nodePortIsServedOnEveryNodeAddressOfItsFamilyAndClusterIPOnItsOwn() throws {
        let loaded = try ConfigFixture(["web.yaml": webService]).plan().get()
        let http = try #require(loaded.plan.servicePorts.first { $0.name.port == "http" })
        #expect(http.listenAddresses.map(\.description) == ["10.96.0.10:80", "127.0.0.1:30080"], "an IPv4 Service: no [::1]")
    }

    @Test func nodePortAddressesSelectNodeAddressesByCIDR() throws {
        var settings = NodeSettings(nodeAddresses: ["127.0.0.1", "192.0.2.2", "::1", "fe80::1"].compactMap(IPAddress.init))
        settings.nodePortAddresses = [CIDR("192.0.2.0/24")!]
        #expect(settings.selectedNodePortAddresses.map(\.description) == ["192.0.2.2"])
        settings.nodePortAddresses = []
        #expect(settings.selectedNodePortAddresses.map(\.description) == ["127.0.0.1", "192.0.2.2", "::1"])
    }

    @Test func omittedNodePortIsAllocatedInRangeAndStable() throws {
        let yaml = webService.replacingOccurrences(of: "    nodePort: 30080\n", with: "")
        let first = try ConfigFixture(["web.yaml": yaml]).plan().get()
        let second = try ConfigFixture(["web.yaml": yaml]).plan().get()
        #expect(first.plan == second.plan)
        let ports = first.plan.servicePorts.flatMap(\.listenAddresses).filter { $0.kind == .nodePort }.map(\.port)
        #expect(ports.count == 2)
        #expect(ports.allSatisfy { (30000...32767).contains($0) })
        #expect(Set(ports).count == 2)
    }

    @Test func serviceWithoutEndpointsHasNone() throws {
        let yaml = webService.components(separatedBy: "---")[0]
        let loaded = try ConfigFixture(["web.yaml": yaml]).plan().get()
        #expect(loaded.plan.servicePorts.allSatisfy { $0.endpoints.isEmpty })
        #expect(loaded.plan.summary == "1 service, 0 endpoints, 4 listeners")
    }

    @Test func otherKindsAreSkippedWithANote() throws {
        let deployment = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n"
        let loaded = try ConfigFixture(["a.yaml": deployment, "b.yaml": webService]).plan().get()
        #expect(loaded.notes.contains { $0.contains("skipped Deployment \"web\"") })
        #expect(loaded.plan.servicePorts.count == 2)
    }

    @Test func listItemsAreLoaded() throws {
        let list = """
            apiVersion: v1
            kind: List
            items:
            - apiVersion: v1
              kind: Service
              metadata: {name: one}
              spec:
                clusterIP: 10.96.0.1
                ports: [{port: 80}]
            """
        let loaded = try ConfigFixture(["list.yaml": list]).plan().get()
        #expect(loaded.plan.servicePorts.map(\.name.description) == ["default/one"])
    }
}

@Suite struct AddressTests {
    @Test func parsesAndPrintsCanonicalForms() {
        #expect(IPAddress("10.96.0.10")?.description == "10.96.0.10")
        #expect(IPAddress("FD00:0::10")?.description == "fd00::10")
        #expect(IPAddress("010.1.1.1") == nil)
        #expect(IPAddress("10.1.1") == nil)
        #expect(IPAddress("web") == nil)
    }

    @Test func cidrContainment() throws {
        let loopback = try #require(CIDR("127.0.0.0/8"))
        #expect(loopback.contains(IPAddress("127.1.2.3")!))
        #expect(!loopback.contains(IPAddress("128.0.0.1")!))
        #expect(!loopback.contains(IPAddress("::1")!))
        #expect(try #require(CIDR("::1/128")).contains(IPAddress("::1")!))
        #expect(CIDR("10.0.0.0/33") == nil)
        #expect(CIDR("10.0.0.0") == nil)
    }

    @Test func theBitsRoundTripAndOrderIPv4FirstThenByValue() throws {
        for text in ["0.0.0.0", "10.96.0.10", "255.255.255.255", "::", "::1", "fe80::1", "2001:db8::ffff:1", "::ffff:10.0.0.1"] {
            let address = try #require(IPAddress(text))
            #expect(IPAddress(bytes: address.bytes) == address, "\(text)")
            #expect(IPAddress(address.description) == address, "\(text)")
        }
        #expect(IPAddress("10.0.0.1")! != IPAddress("::ffff:10.0.0.1")!, "the family tells a mapped IPv6 address from IPv4")
        let sorted = ["fd00::1", "255.0.0.1", "::1", "10.0.0.2", "10.0.0.1"].compactMap(IPAddress.init).sorted()
        #expect(sorted.map(\.description) == ["10.0.0.1", "10.0.0.2", "255.0.0.1", "::1", "fd00::1"])
        #expect(IPAddress("127.9.9.9")!.isLoopback && IPAddress("::1")!.isLoopback && !IPAddress("128.0.0.1")!.isLoopback)
        #expect(IPAddress("169.254.3.4")!.isLinkLocal && IPAddress("fe80::5")!.isLinkLocal && !IPAddress("fec0::5")!.isLinkLocal)
        #expect(IPAddress("0.0.0.0")!.isUnspecified && IPAddress("::")!.isUnspecified && !IPAddress("0.0.0.1")!.isUnspecified)
    }

    @Test func blocksCountAndOffsetTheirAddressesAndNeverLeaveTheBlock() throws {
        let v4 = try #require(CIDR("10.96.0.7/12"))
        #expect(v4.addressCount == 1 << 20)
        #expect(v4.address(at: 0).description == "10.96.0.0")
        #expect(v4.address(at: 256 + 5).description == "10.96.1.5")
        let v6 = try #require(CIDR("fd00:0:0:1::/64"))
        #expect(v6.address(at: 0x1_0000_0001).description == "fd00::1:0:1:0:1")
        let wide = try #require(CIDR("fd00::/56"))
        #expect(wide.address(at: UInt64.max).description == "fd00::ffff:ffff:ffff:ffff")
        #expect(try #require(CIDR("0.0.0.0/0")).contains(IPAddress("203.0.113.9")!))
        let small = try #require(CIDR("192.0.2.0/24"))
        #expect(small.address(at: 256 + 7).description == "192.0.2.7", "past the block it wraps inside it")
        #expect(small.address(at: 1 << 40).family == .ipv4 && small.contains(small.address(at: 1 << 40)))
    }
}

@Suite struct ListenAddressTests {
    @Test func anExternalIPOnAnotherServicesNodePortIsADuplicate() throws {
        let nodePortService = webService.components(separatedBy: "---")[0]
        let other = """
            apiVersion: v1
            kind: Service
            metadata: {name: edge, namespace: shop}
            spec:
              externalIPs: [192.0.2.2]
              ports:
              - {name: http, port: 30080}
            """
        let node = NodeSettings(nodeAddresses: [IPAddress("192.0.2.2")!])
        guard case .failure(let errors) = try ConfigFixture(["a.yaml": nodePortService, "b.yaml": other]).plan(settings: node) else {
            Issue.record("an external IP on another service's NodePort must be refused")
            return
        }
        #expect(errors.description.contains("Duplicate value: 192.0.2.2:30080"))
    }

    @Test func oneAddressReachedTwoWaysIsOneListener() throws {
        let yaml = """
            apiVersion: v1
            kind: Service
            metadata: {name: lb, namespace: shop}
            spec:
              type: LoadBalancer
              clusterIP: 10.96.0.20
              externalIPs: [192.0.2.50]
              loadBalancerIP: 192.0.2.50
              ports:
              - {name: http, port: 80, nodePort: 30090}
            """
        let loaded = try ConfigFixture(["lb.yaml": yaml]).plan().get()
        let addresses = try #require(loaded.plan.servicePorts.first).listenAddresses.map(\.description)
        #expect(addresses.filter { $0 == "192.0.2.50:80" }.count == 1)
        #expect(Set(addresses).count == addresses.count)
    }
}
