// Field paths are made step by step while decoding and as text only for errors; field
// locations are found by the digest of the path text. Both must agree with the text.
import Testing
@testable import ServiceConfig

struct FieldPathTests {
    @Test func stepsGiveKubernetesPathsAndTheDigestsOfTheirText() {
        let paths = FieldPaths()
        let root = paths.path("")
        let spec = paths.child(of: root, key: "spec")
        let ports = paths.child(of: spec, key: "ports")
        let second = paths.element(of: ports, index: 1)
        let nodePort = paths.child(of: second, key: "nodePort")
        let labels = paths.child(of: paths.child(of: root, key: "metadata"), key: "labels")
        let label = paths.entry(of: labels, key: "app.kubernetes.io/name")
        let deep = paths.element(of: paths.child(of: paths.path("subsets[0]"), key: "addresses"), index: 12_345)
        let cases: [(FieldPath, String)] = [
            (root, ""), (spec, "spec"), (second, "spec.ports[1]"), (nodePort, "spec.ports[1].nodePort"),
            (label, "metadata.labels[app.kubernetes.io/name]"), (deep, "subsets[0].addresses[12345]"),
        ]
        for (path, text) in cases {
            #expect(paths.text(of: path) == text)
            #expect(path.digest == FieldPathDigest(text), "digest of \(text)")
            #expect(path.isEmpty == text.isEmpty)
        }
        #expect(FieldPathDigest("spec.ports[1]") != FieldPathDigest("spec.ports[10]"))
    }

    @Test func marksAreFoundByPathAndTheNearestWrittenFieldStandsInForAMissingOne() {
        var source = ObjectSource(location: SourceLocation(file: "a.yaml", line: 1, column: 1))
        source.fields["spec.ports[0]"] = SourceLocation(file: "a.yaml", line: 7, column: 5)
        source.fields["spec.ports[0].port"] = SourceLocation(file: "a.yaml", line: 8, column: 11)
        source.fields["spec.ports[0].port"] = SourceLocation(file: "a.yaml", line: 9, column: 11)  // the last mark wins
        #expect(source.fields["spec.ports[0].port"] == SourceLocation(file: "a.yaml", line: 9, column: 11))
        #expect(source.location(of: "spec.ports[0].name") == SourceLocation(file: "a.yaml", line: 7, column: 5))
        #expect(source.location(of: "spec.selector") == SourceLocation(file: "a.yaml", line: 1, column: 1))
        #expect(source.fields["spec.ports"] == nil)
    }

    @Test func decodedFieldsAreLocatedAtTheirLines() {
        let text = """
            apiVersion: v1
            kind: Service
            metadata:
              name: web
            spec:
              ports:
              - port: 80
              - port: 81
                nodePort: 30001
            """
        let loaded = ConfigLoader.load(text: text, file: "web.yaml")
        let source = try? #require(loaded.objects.services.first).source
        #expect(source?.location(of: "spec.ports[1].nodePort") == SourceLocation(file: "web.yaml", line: 9, column: 15))
        #expect(source?.location(of: "spec.ports[1].name") == SourceLocation(file: "web.yaml", line: 8, column: 5))
        #expect(source?.location(of: "metadata.name") == SourceLocation(file: "web.yaml", line: 4, column: 9))
    }
}
