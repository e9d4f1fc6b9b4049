// A reload reads again only what changed: the ObjectStore's counters prove which
// documents were decoded and checked, and the plans prove that what was reused is what
// a full load would have produced.
import Foundation
import Glibc
import Testing
import Yams
@testable import ServiceConfig

/// `count` Services, each followed by its Endpoints, one document each.
private func cluster(_ count: Int, changedEndpoint: Int? = nil, extraLine: Bool = false) -> String {
    (0..<count).map { index in
        let ip = index == changedEndpoint ? "10.2.0.\(index)" : "10.1.0.\(index)"
        return """
            ---
            apiVersion: v1
            kind: Service
            metadata:
              name: svc-\(index)
            \(index == 0 && extraLine ? "  namespace: default\n" : "")spec:
              clusterIP: 10.96.1.\(index + 10)
              ports:
              - name: http
                port: 80
            ---
            apiVersion: v1
            kind: Endpoints
            metadata:
              name: svc-\(index)
            subsets:
            - addresses:
              - ip: \(ip)
              ports:
              - name: http
                port: 8080

            """
    }.joined()
}

private func endpoints(_ loaded: LoadedPlan, _ service: String) -> [String] {
    loaded.plan.servicePorts.first { $0.name.service.name == service }?.endpoints.map { "\($0)" } ?? []
}

@Suite struct ObjectStoreTests {
    let settings = NodeSettings(nodeAddresses: [IPAddress("127.0.0.1")!])

    @Test func reloadWithOneChangedDocumentChecksOnlyThatDocument() throws {
        let fixture = try ConfigFixture(["cluster.yaml": cluster(5)])
        let store = ObjectStore()
        let first = try Configuration.plan(paths: [fixture.directory], settings: settings, store: store).get()
        #expect(first.loadStatistics.documentsChecked == 10)
        #expect(endpoints(first, "svc-3") == ["10.1.0.3:8080"])

        try cluster(5, changedEndpoint: 3).write(toFile: fixture.path("cluster.yaml"), atomically: true, encoding: .utf8)
        let second = try Configuration.plan(paths: [fixture.directory], settings: settings, previous: first.allocations, store: store).get()
        #expect(second.loadStatistics.documentsChecked == 1)
        #expect(second.loadStatistics.documentsReused == 9)
        #expect(store.documentsCheckedTotal == 11)
        #expect(endpoints(second, "svc-3") == ["10.2.0.3:8080"])
        let full = try Configuration.plan(paths: [fixture.directory], settings: settings).get()
        #expect(second.plan == full.plan)
    }

    @Test func reloadOfUnchangedFilesChecksNothing() throws {
        let fixture = try ConfigFixture(["a.yaml": cluster(2), "b.yaml": webService])
        let store = ObjectStore()
        let first = try Configuration.plan(paths: [fixture.directory], settings: settings, store: store).get()
        let second = try Configuration.plan(paths: [fixture.directory], settings: settings, previous: first.allocations, store: store).get()
        #expect(second.loadStatistics.documentsChecked == 0)
        #expect(second.loadStatistics.filesUnchanged == 2)
        #expect(second.plan == first.plan)
    }

    @Test func documentThatMovedIsReadAgainSoItsErrorsPointAtTheirNewLine() throws {
        let broken = cluster(2) + "---\napiVersion: v1\nkind: Service\nmetadata:\n  name: bad\nspec:\n  ports:\n  - port: 70000\n"
        let fixture = try ConfigFixture(["cluster.yaml": broken])
        let store = ObjectStore()
        let before = Configuration.plan(paths: [fixture.directory], settings: settings, store: store)
        let moved = cluster(2, extraLine: true) + "---\napiVersion: v1\nkind: Service\nmetadata:\n  name: bad\nspec:\n  ports:\n  - port: 70000\n"
        try moved.write(toFile: fixture.path("cluster.yaml"), atomically: true, encoding: .utf8)
        let after = Configuration.plan(paths: [fixture.directory], settings: settings, store: store)
        let fresh = Configuration.plan(paths: [fixture.directory], settings: settings)
        guard case .failure(let old) = before, case .failure(let new) = after, case .failure(let expected) = fresh else {
            Issue.record("the port 70000 must be an error")
            return
        }
        #expect(new.errors.map(\.description) == expected.errors.map(\.description))
        #expect(new.errors.first?.location?.line == (old.errors.first?.location?.line ?? 0) + 1)
    }

    @Test func documentsCutAtTheirMarkersLoadAsTheWholeFileDoes() {
        let text = "# leading comment\n" + cluster(2) + "--- # a comment after the marker\nkind: Namespace\napiVersion: v1\nmetadata: {name: x}\n"
        let cut = DocumentSplitter.split(text)
        #expect(cut.map(\.firstLine).first == 1)
        #expect(cut.map(\.text).joined() == text)
        #expect(cut.count == 6)
        let withDirective = "%YAML 1.1\n---\na: 1\n---\nb: 2\n"
        #expect(DocumentSplitter.split(withDirective).count == 1)
    }

    @Test func plainScalarTagsMatchYamsDefaultResolver() {
        let samples = [
            "", "~", "null", "Null", "NULL", "nul", "true", "True", "TRUE", "tRue", "yes", "Yes", "no", "NO", "on", "Off", "y", "n",
            "0", "00", "07", "08", "0o17", "0o8", "0x1F", "0xg", "0b101", "0b2", "-12", "+12", "1_000", "12:30", "1:60", "1:5:07",
            "1.5", "-1.5e10", "1e5", "1.e5", ".5", ".5e+3", ".5e3", ".inf", "-.Inf", "+.INF", ".nan", ".NaN", "-.nan", "1:30.5",
            "2001-12-14", "2001-12-14t21:59:43.10-05:00", "2001-12-14 21:59:43.10 -5", "2001-1-1", "2001-12-14T21:59:43Z",
            "2001-12-14T21:59:43.Z", "2001-12-1421:59:43", "<<", "=", "==", "http", "10.0.0.1", "8080/TCP", "-", "+", ".", "1_",
            "0_", "_1", "1__2", "0x", "0b", "0o", "1:", "::", "1e", "1e+", "Tcp", "off ", "127.0.0.1:80",
        ]
        for sample in samples {
            #expect(PlainScalarTags.resolve(sample) == Resolver.default.resolveTag(of: Node(sample)), "\(sample)")
        }
    }
}

/// A reload patches the documents that changed into the objects of all documents when
/// each holds as many objects and errors as before; what it gives must be what putting all
/// together again gives.
@Suite struct MergedObjectsTests {
    private func same(_ a: CheckedObjects, _ b: CheckedObjects) {
        #expect(a.objects.services == b.objects.services)
        #expect(a.objects.endpoints == b.objects.endpoints)
        #expect(a.validServices == b.validServices)
        #expect(a.loadErrors == b.loadErrors)
        #expect(a.objectErrors == b.objectErrors)
        #expect(a.counts == b.counts)
    }

    @Test func changedDocumentsArePatchedInPlaceOrPutTogetherAgainWhenTheirCountsChange() throws {
        let broken = cluster(8).replacingOccurrences(of: "name: svc-2\n", with: "name: Svc_2\n")  // an object error
        let fixture = try ConfigFixture(["cluster.yaml": broken])
        let store = ObjectStore()
        _ = store.load(paths: [fixture.directory])

        // An endpoint moved: the same counts, patched.
        let moved = broken.replacingOccurrences(of: "ip: 10.1.0.5\n", with: "ip: 10.9.0.5\n")
        try moved.write(toFile: fixture.path("cluster.yaml"), atomically: true, encoding: .utf8)
        let patched = store.load(paths: [fixture.directory]).objects
        #expect(store.mergesPatched == 1)
        same(patched, ObjectStore().load(paths: [fixture.directory]).objects)
        #expect(patched.objects.endpoints[5].subsets.first?.addresses.first == IPAddress("10.9.0.5"))

        // An error fixed: the error counts change, so all is put together again.
        let fixed = moved.replacingOccurrences(of: "name: Svc_2\n", with: "name: svc-2\n")
        try fixed.write(toFile: fixture.path("cluster.yaml"), atomically: true, encoding: .utf8)
        let rebuilt = store.load(paths: [fixture.directory]).objects
        #expect(store.mergesPatched == 1)
        same(rebuilt, ObjectStore().load(paths: [fixture.directory]).objects)
        #expect(rebuilt.objectErrors.isEmpty)

        // Two documents changed at once, then a document added: patched, then put together.
        let twice = fixed.replacingOccurrences(of: "ip: 10.1.0.1\n", with: "ip: 10.8.0.1\n")
            .replacingOccurrences(of: "port: 8080\n", with: "port: 8081\n")
        try twice.write(toFile: fixture.path("cluster.yaml"), atomically: true, encoding: .utf8)
        same(store.load(paths: [fixture.directory]).objects, ObjectStore().load(paths: [fixture.directory]).objects)
        #expect(store.mergesPatched == 2)
        try (twice + cluster(9).components(separatedBy: "---\n").suffix(2).map { "---\n" + $0 }.joined())
            .write(toFile: fixture.path("cluster.yaml"), atomically: true, encoding: .utf8)
        same(store.load(paths: [fixture.directory]).objects, ObjectStore().load(paths: [fixture.directory]).objects)
        #expect(store.mergesPatched == 2)
    }
}

/// Documents are read side by side when there are many; what comes out must be what one
/// thread reading them in order gives: the same objects and errors in the same order, and
/// nothing after a document that is not YAML.
@Suite struct ParallelReadingTests {
    @Test func manyDocumentsReadSideBySideComeOutInOrderAndStopAtTheFirstThatIsNotYAML() throws {
        var documents = cluster(60).components(separatedBy: "---\n").filter { !$0.isEmpty }
        #expect(documents.count == 120)
        documents[17] = documents[17].replacingOccurrences(of: "port: 80", with: "port: eighty")
        documents[64] = documents[64].replacingOccurrences(of: "port: 80", with: "port: [80")  // not YAML
        documents[90] = documents[90].replacingOccurrences(of: "port: 80", with: "port: ninety")
        let text = documents.map { "---\n" + $0 }.joined()
        let fixture = try ConfigFixture(["cluster.yaml": text])

        let inOrder = ConfigLoader.load(paths: [fixture.directory])
        let sideBySide = ObjectStore().load(paths: [fixture.directory]).objects
        #expect(sideBySide.objects.services.map(\.key) == inOrder.objects.services.map(\.key))
        #expect(sideBySide.objects.services.count == 32)  // svc-0 ... svc-31: document 64 is svc-32's Service
        #expect(sideBySide.objects.endpoints.map(\.key) == inOrder.objects.endpoints.map(\.key))
        #expect(sideBySide.loadErrors.map(\.description) == inOrder.errors.map(\.description))
        #expect(sideBySide.loadErrors.count == 2)
    }

    @Test func manySmallFilesAreReadSideBySideAndKeepTheirOrder() throws {
        // One Service and its Endpoints per file, each ending with `---` (an empty last
        // document alike in every file), one file not YAML after its first document.
        var files: [String: String] = [:]
        for index in 0..<80 {
            var text = cluster(1).replacingOccurrences(of: "svc-0", with: "svc-\(index)") + "---\n"
            if index == 33 { text = text.replacingOccurrences(of: "kind: Endpoints", with: "kind: [Endpoints") }
            files[String(format: "f%03d.yaml", index)] = text
        }
        let fixture = try ConfigFixture(files)
        let inOrder = ConfigLoader.load(paths: [fixture.directory])
        let store = ObjectStore()
        let sideBySide = store.load(paths: [fixture.directory])
        #expect(sideBySide.statistics.documentsChecked == 80 * 3 - 1)  // f033's empty last document is not read
        #expect(sideBySide.objects.objects.services.map(\.key) == inOrder.objects.services.map(\.key))
        #expect(sideBySide.objects.objects.endpoints.count == 79)
        #expect(sideBySide.objects.loadErrors.map(\.description) == inOrder.errors.map(\.description))
        #expect(sideBySide.objects.loadErrors.count == 1)
        #expect(store.load(paths: [fixture.directory]).statistics.documentsReused == 80 * 3 - 1)
    }

    @Test func resultsComeBackInTheirItemsOrderFromEveryThread() {
        let items = Array(0..<1_000)
        let caller = pthread_self()
        let squares = ParallelMap.map(items, sideBySide: true) { item in
            usleep(100)  // long enough that the other threads get batches, however busy the machine
            return (item * item, pthread_equal(pthread_self(), caller) != 0)
        }
        #expect(squares.map(\.0) == items.map { $0 * $0 })
        if ProcessInfo.processInfo.activeProcessorCount > 1 {
            #expect(squares.contains { !$0.1 }, "some items are read off the calling thread")
        }
    }
}
