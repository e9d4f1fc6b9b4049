import Testing
@testable import ServiceConfig

@Suite struct ErrorTests {
    @Test func nodePortOutOfRangeNamesFileLineAndFieldPath() throws {
        let yaml = webService.replacingOccurrences(of: "nodePort: 30080", with: "nodePort: 40000")
        let fixture = try ConfigFixture(["web.yaml": yaml])
        let errors = fixture.errors()
        #expect(errors == [
            "\(fixture.path("web.yaml")):13:15: Service \"shop/web\" is invalid: spec.ports[0].nodePort: Invalid value: 40000: "
                + "provided port is not in the valid range. The range of valid ports is 30000-32767",
        ])
    }

    @Test func everyErrorIsReportedAtOnce() throws {
        let yaml = """
            apiVersion: v1
            kind: Service
            metadata: {name: Bad_Name}
            spec:
              type: Nodeport
              clusterIP: 10.96.0.300
              ports:
              - {port: 0, protocol: TCPX}
              - {port: 80, targetPort: "-http"}
            """
        let errors = try ConfigFixture(["bad.yaml": yaml]).errors()
        let joined = errors.joined(separator: "\n")
        #expect(joined.contains(":3:18: Service \"default/Bad_Name\" is invalid: metadata.name: Invalid value: \"Bad_Name\": a DNS-1035 label"))
        #expect(joined.contains(":5:9: Service \"default/Bad_Name\" is invalid: spec.type: Unsupported value: \"Nodeport\": supported values: \"ClusterIP\", \"ExternalName\", \"LoadBalancer\", \"NodePort\""))
        #expect(joined.contains(":6:14: Service \"default/Bad_Name\" is invalid: spec.clusterIPs[0]: Invalid value: \"10.96.0.300\""))
        #expect(joined.contains(":8:5: Service \"default/Bad_Name\" is invalid: spec.ports[0].name: Required value"))
        #expect(errors.count == 8)
        #expect(errors.first?.contains(":3:18:") == true)
        #expect(joined.contains(":8:12: Service \"default/Bad_Name\" is invalid: spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive"))
        #expect(joined.contains("spec.ports[0].protocol: Unsupported value: \"TCPX\""))
        #expect(joined.contains(":9:28: Service \"default/Bad_Name\" is invalid: spec.ports[1].targetPort: Invalid value: \"-http\""))
    }

    @Test func wrongTypesAreErrorsNotCrashes() throws {
        let yaml = """
            apiVersion: v1
            kind: Service
            metadata: {name: web}
            spec:
              ports:
              - port: "80"
                nodePort: [1]
              - http
            """
        let joined = try ConfigFixture(["t.yaml": yaml]).errors().joined(separator: "\n")
        #expect(joined.contains(":6:11: Service \"default/web\" is invalid: spec.ports[0].port: Invalid value: \"80\": must be an integer"))
        #expect(joined.contains(":7:15: Service \"default/web\" is invalid: spec.ports[0].nodePort: Invalid value: [...]: must be an integer"))
        #expect(joined.contains(":8:5: Service \"default/web\" is invalid: spec.ports[1]: Invalid value: \"http\": must be a mapping"))
    }

    @Test func duplicateNodePortsAcrossServicesAreRejected() throws {
        let other = webService.replacingOccurrences(of: "name: web", with: "name: api")
            .replacingOccurrences(of: "10.96.0.10", with: "10.96.0.11")
        let joined = try ConfigFixture(["a.yaml": webService, "b.yaml": other]).errors().joined(separator: "\n")
        #expect(joined.contains("b.yaml:13:15: Service \"shop/api\" is invalid: spec.ports[0].nodePort: Invalid value: 30080: provided port is already allocated to Service \"shop/web\""))
    }

    @Test func nodePortOnAClusterIPServiceIsForbidden() throws {
        let yaml = webService.replacingOccurrences(of: "type: NodePort", with: "type: ClusterIP")
        let joined = try ConfigFixture(["c.yaml": yaml]).errors().joined(separator: "\n")
        #expect(joined.contains("spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'"))
    }

    @Test func yamlSyntaxErrorsNameTheLineAndTabs() throws {
        let yaml = "apiVersion: v1\nkind: Service\nmetadata:\n\tname: web\n"
        let fixture = try ConfigFixture(["tab.yaml": yaml])
        let errors = fixture.errors()
        #expect(errors.count == 1)
        #expect(errors.first?.hasPrefix("\(fixture.path("tab.yaml")):4:") == true)
        #expect(errors.first?.contains("is indented with a tab character, and YAML allows only spaces") == true)
    }

    @Test func missingFileIsAnError() {
        let result = Configuration.plan(paths: ["/nonexistent/svc.yaml"], settings: NodeSettings())
        guard case .failure(let errors) = result else {
            Issue.record("a missing file must be an error")
            return
        }
        #expect(errors.description == "/nonexistent/svc.yaml: No such file or directory")
    }
}
