// Writes YAML into a fresh temporary directory so the loader reads real files, and removes
// the directory when the fixture goes away.
import Foundation
@testable import ServiceConfig

final class ConfigFixture {
    let directory: String

    init(_ files: [String: String]) throws {
        directory = NSTemporaryDirectory() + "svcproxy-test-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        for (name, text) in files {
            try text.write(toFile: directory + "/" + name, atomically: true, encoding: .utf8)
        }
    }

    deinit {
        try? FileManager.default.removeItem(atPath: directory)
    }

    func path(_ name: String) -> String { directory + "/" + name }

    func plan(settings: NodeSettings = NodeSettings(nodeAddresses: [IPAddress("127.0.0.1")!, IPAddress("::1")!]))
        -> Result<LoadedPlan, ConfigErrors>
    {
        Configuration.plan(paths: [directory], settings: settings)
    }

    /// Every error of the plan, as printed; none for a valid one.
    func errors(settings: NodeSettings? = nil) -> [String] {
        switch settings.map({ plan(settings: $0) }) ?? plan() {
        case .success: []
        case .failure(let errors): errors.errors.map(\.description)
        }
    }
}

let webService = """
    apiVersion: v1
    kind: Service
    metadata:
      name: web
      namespace: shop
    spec:
      type: NodePort
      clusterIP: 10.96.0.10
      ports:
      - name: http
        port: 80
        targetPort: 8080
        nodePort: 30080
      - name: metrics
        port: 9090
    ---
    apiVersion: v1
    kind: Endpoints
    metadata:
      name: web
      namespace: shop
    subsets:
    - addresses:
      - ip: 10.0.0.1
      - ip: 10.0.0.2
      notReadyAddresses:
      - ip: 10.0.0.9
      ports:
      - name: http
        port: 8080
      - name: metrics
        port: 9100
    """
