// `run`'s flags for the Kubernetes API as a source of objects, with kube-proxy's names:
// --kubeconfig (else KUBECONFIG, else the in-cluster configuration when
// KUBERNETES_SERVICE_HOST and _PORT are set), --master, --min-sync-period.
import ArgumentParser
import Foundation
import ServiceConfig

struct APISourceOptions: ParsableArguments {
    @Option(name: .customLong("kubeconfig"), help: ArgumentHelp(
        "A kubeconfig whose current context names the API server to list and watch Services, EndpointSlices, "
            + "NetworkPolicies, Namespaces, Ingresses, IngressClasses and TLS Secrets (and Pods while NetworkPolicies exist) from "
            + "(default: $KUBECONFIG, else the in-cluster configuration when KUBERNETES_SERVICE_HOST is set).", valueName: "path"))
    var kubeconfig: String?

    @Option(name: .customLong("master"), help: ArgumentHelp(
        "The API server's URL, overriding the kubeconfig's.", valueName: "url"))
    var master: String?

    @Option(name: .customLong("min-sync-period"), help: ArgumentHelp(
        "The least time between two applies of changes from the API server: a burst of changes within it is one apply.",
        valueName: "duration"))
    var minSyncPeriod: String = "1s"

    @Option(name: .customLong("service-proxy-name"), help: ArgumentHelp(
        "Serve the API's Services labelled service.kubernetes.io/service-proxy-name=NAME; Services with this label "
            + "naming another proxy are left alone (without this flag: every Service with the label).", valueName: "name"))
    var serviceProxyName: String?

    /// The directory of the service account's token and CA, for the in-cluster configuration.
    static let serviceAccountDirectoryVariable = "SVCPROXY_SERVICE_ACCOUNT_DIR"

    func validate() throws {
        _ = try minSyncPeriodNanoseconds()
    }

    func minSyncPeriodNanoseconds() throws -> UInt64 {
        switch SettingsSyntax.duration(minSyncPeriod) {
        case .success(let duration): return duration.nanoseconds
        case .failure(let error): throw ValidationError("--min-sync-period: \(error)")
        }
    }

    /// The API server to watch, or nil when svcproxy reads files only. Errors name the
    /// kubeconfig's file, line and field.
    func connection(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> APIServerConnection? {
        let path = try Kubeconfig.path(flag: kubeconfig, environment: environment).get()
        if let path {
            return try Kubeconfig.connection(path: path, master: master).get()
        }
        let directory = environment[Self.serviceAccountDirectoryVariable] ?? InClusterConfig.serviceAccountDirectory
        let masterURL = try master.map { master in
            guard let url = APIServerURL(master) else { throw ValidationError("--master \(master): must be an https:// or http:// URL") }
            return url
        }
        if var inCluster = try InClusterConfig.connection(environment: environment, serviceAccountDirectory: directory).get() {
            if let masterURL { inCluster.server = masterURL }
            return inCluster
        }
        return masterURL.map { APIServerConnection(server: $0, origin: "--master") }
    }
}
