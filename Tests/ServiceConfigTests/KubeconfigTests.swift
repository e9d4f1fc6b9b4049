// A kubeconfig comes down to one connection; each refusal and each mistake names the
// file, the line and the field path.
import Testing
@testable import ServiceConfig

private let file = "/etc/svcproxy/kubeconfig"

private func kubeconfig(cluster: String = "    server: https://127.0.0.1:6443\n    certificate-authority: ca.crt\n",
                        user: String = "    token: abc\n", current: String = "current-context: work\n") -> String {
    """
    apiVersion: v1
    kind: Config
    clusters:
    - name: lab
      cluster:
    \(cluster)users:
    - name: admin
      user:
    \(user)contexts:
    - name: work
      context:
        cluster: lab
        user: admin
        namespace: default
    \(current)
    """
}

private func errors(_ text: String, master: String? = nil) -> [String] {
    switch Kubeconfig.connection(text: text, file: file, master: master) {
    case .success: []
    case .failure(let errors): errors.errors.map(\.description)
    }
}

@Suite struct KubeconfigTests {
    @Test func currentContextGivesServerCAAndTokenWithPathsBesideTheFile() throws {
        let connection = try Kubeconfig.connection(text: kubeconfig(), file: file).get()
        #expect(connection.server.description == "https://127.0.0.1:6443")
        #expect(connection.certificateAuthority == .file("/etc/svcproxy/ca.crt"))
        #expect(connection.bearerToken == .literal("abc"))
        #expect(connection.verifiedName == "127.0.0.1")
        #expect(connection.origin.contains("context \"work\""))
    }

    @Test func inlineDataIsDecodedAndTokenFileIsKeptAsAFile() throws {
        let text = kubeconfig(cluster: "    server: https://api.lab:443/prefix/\n    certificate-authority-data: Q0E=\n    tls-server-name: kubernetes\n",
                              user: "    client-certificate-data: Q0VSVA==\n    client-key-data: S0VZ\n    tokenFile: /run/token\n")
        let connection = try Kubeconfig.connection(text: text, file: file).get()
        #expect(connection.certificateAuthority == .data(Array("CA".utf8)))
        #expect(connection.clientCertificate == .data(Array("CERT".utf8)))
        #expect(connection.clientKey == .data(Array("KEY".utf8)))
        #expect(connection.bearerToken == .file("/run/token"))
        #expect(connection.server.basePath == "/prefix")
        #expect(connection.verifiedName == "kubernetes")
    }

    @Test func masterReplacesTheServer() throws {
        let connection = try Kubeconfig.connection(text: kubeconfig(), file: file, master: "https://[::1]:8443").get()
        #expect(connection.server.authority == "[::1]:8443")
        #expect(errors(kubeconfig(), master: "ftp://x").first?.contains("--master ftp://x") == true)
    }

    @Test func execAndAuthProviderAreRefusedNamingTheField() {
        let exec = errors(kubeconfig(user: "    exec:\n      command: aws\n"))
        #expect(exec == ["\(file):12:7: users[0].user.exec: Forbidden: svcproxy runs no credential plugins; give a token, tokenFile or a client certificate"])
        let provider = errors(kubeconfig(user: "    auth-provider:\n      name: gcp\n"))
        #expect(provider.first?.hasPrefix("\(file):12:7: users[0].user.auth-provider: Forbidden") == true)
    }

    @Test func mistakesNameFileLineAndField() {
        #expect(errors(kubeconfig(current: "current-context: home\n"))
            == ["\(file):18:18: current-context: Invalid value: \"home\": no entry of contexts has this name; there are: \"work\""])
        #expect(errors(kubeconfig(current: "")).first?.contains("current-context: Required value") == true)
        #expect(errors(kubeconfig(cluster: "    server: 127.0.0.1:6443\n")).first?.contains("clusters[0].cluster.server: Invalid value") == true)
        #expect(errors(kubeconfig(user: "    client-certificate: c.crt\n")).first?.contains("users[0].user.client-key: Required value") == true)
        #expect(errors(kubeconfig(user: "    tokn: x\n")).first?.contains("users[0].user.tokn: Unknown field: did you mean users[0].user.token?") == true)
        let both = errors(kubeconfig(cluster: "    server: https://a\n    certificate-authority: c\n    certificate-authority-data: Q0E=\n"))
        #expect(both.first?.contains("clusters[0].cluster.certificate-authority-data: Forbidden: may not be set together with certificate-authority") == true)
        let insecure = errors(kubeconfig(cluster: "    server: https://a\n    certificate-authority: c\n    insecure-skip-tls-verify: true\n"))
        #expect(insecure.first?.contains("insecure-skip-tls-verify: Forbidden") == true)
    }

    @Test func inlineKeyMaterialIsNeverQuoted() {
        let found = errors(kubeconfig(user: "    client-certificate-data: Q0VSVA==\n    client-key-data: not*base64\n"))
        #expect(found.count == 1, "\(found)")
        #expect(found.first?.contains("not*base64") == false)
        #expect(found.first?.contains("users[0].user.client-key-data: Invalid value: <10 bytes>: must be base64") == true)
    }

    @Test func kubeconfigPathFromFlagOrOneFileOfKUBECONFIG() throws {
        #expect(try Kubeconfig.path(flag: "/a", environment: ["KUBECONFIG": "/b"]).get() == "/a")
        #expect(try Kubeconfig.path(flag: nil, environment: ["KUBECONFIG": "/b"]).get() == "/b")
        #expect(try Kubeconfig.path(flag: nil, environment: [:]).get() == nil)
        #expect(throws: ConfigErrors.self) { try Kubeconfig.path(flag: nil, environment: ["KUBECONFIG": "/b:/c"]).get() }
    }

    @Test func inClusterUsesTheServiceAccountDirectory() throws {
        let connection = try InClusterConfig.connection(
            environment: ["KUBERNETES_SERVICE_HOST": "10.96.0.1", "KUBERNETES_SERVICE_PORT": "443"], serviceAccountDirectory: "/tmp/sa").get()
        #expect(connection?.server.description == "https://10.96.0.1:443")
        #expect(connection?.bearerToken == .file("/tmp/sa/token"))
        #expect(connection?.certificateAuthority == .file("/tmp/sa/ca.crt"))
        #expect(try InClusterConfig.connection(environment: [:]).get() == nil)
        #expect(throws: ConfigErrors.self) { try InClusterConfig.connection(environment: ["KUBERNETES_SERVICE_HOST": "h"]).get() }
    }
}
