// The TLS part of the Ingress plan: `spec.tls` resolved to certificates and fallbacks, the
// HTTPS settings layered as the other Ingress settings, listeners checked against the
// others, the ssl-redirect annotations, and the part `check --print-plan` prints; with no
// key byte in any output.
import Foundation
import Testing
@testable import ServiceConfig

private func tlsPlan(_ result: Result<LoadedPlan, ConfigErrors>) throws -> IngressTLSPlan {
    try #require(try result.get().plan.ingress?.tls)
}

@Suite struct IngressTLSResolutionTests {
    @Test func withoutSpecTLSThereIsNoTLSPlan() throws {
        let loaded = try planTLS([tlsSecret("x-tls"), ingressYAML("a", spec: ingressRule(host: "x.example.com", "/ Prefix web:80"))]).get()
        #expect(loaded.plan.ingress != nil)
        #expect(loaded.plan.ingress?.tls == nil)
        #expect(!loaded.notes.contains { $0.contains("TLS") })
    }

    @Test func hostsOfEveryIngressNamingASecretAreMergedLowercaseAndOnce() throws {
        let tls = try tlsPlan(planTLS([
            tlsSecret("x-tls"), tlsSecret("y-tls"),
            ingressYAML("a", spec: tlsSpec("x-tls b.example.com a.example.com", "y-tls y.example.com")),
            ingressYAML("b", annotations: "{kubernetes.io/ingress.class: svcproxy}", spec: tlsSpec("x-tls a.example.com *.example.com a.example.com")),
        ]))
        #expect(tls.certificates.map { "\($0.secret) \($0.hosts)" } == [
            "shop/x-tls [\"*.example.com\", \"a.example.com\", \"b.example.com\"]", "shop/y-tls [\"y.example.com\"]",
        ])
        let first = try #require(tls.certificates.first)
        #expect(first.certificatePEM == Array(testCertificatePEM.utf8))
        #expect(first.privateKeyPEM == Array(testKeyPEM.utf8))
        #expect(first.location.description == "all.yaml:34:1")
        #expect(first.certificateLocation.description == "all.yaml:39:12")
        #expect(first.privateKeyLocation.description == "all.yaml:40:12")
        #expect(tls.fallbacks == [])
        #expect(tls.defaultCertificate == nil)
        #expect(tls.listenAddresses.map { "\($0) \($0.kind)" } == ["0.0.0.0:443 ingressHTTPS", "[::]:443 ingressHTTPS"])
        #expect(tls.handshakeTimeout == .seconds(10))
    }

    @Test func aMissingOrUnfitSecretLeavesItsHostsToTheDefaultCertificateWithANote() throws {
        let result = planTLS([
            secretYAML("opaque", ["type: Opaque", "data: {tls.crt: \"%%%\"}"]), tlsSecret("elsewhere", namespace: "blog"),
            ingressYAML("a", spec: tlsSpec("gone x.example.com", "opaque o.example.com o.example.com p.example.com", "- n.example.com",
                                           "elsewhere e.example.com", "gone")),
        ])
        let tls = try tlsPlan(result)
        #expect(tls.certificates == [])
        #expect(tls.fallbacks.map(\.description) == [
            "Secret \"shop/gone\" does not exist: x.example.com gets the default certificate",
            "Secret \"shop/opaque\" is of type Opaque, not kubernetes.io/tls: o.example.com, p.example.com get the default certificate",
            "no secretName: n.example.com gets the default certificate",
            "Secret \"shop/elsewhere\" does not exist: e.example.com gets the default certificate",
            "Secret \"shop/gone\" does not exist: its hosts get the default certificate",
        ])
        let notes = try result.get().notes.filter { $0.contains("default certificate") }
        #expect(notes.count == 5)
        #expect(notes.first?.hasSuffix("all.yaml:51:53: Ingress \"shop/a\" spec.tls[0].secretName: Secret \"shop/gone\" does not exist: "
                                       + "x.example.com gets the default certificate") == true, "\(notes)")
        #expect(notes.contains { $0.contains("Ingress \"shop/a\" spec.tls[2]: no secretName: n.example.com gets the default certificate") })
    }

    @Test func anotherControllersIngressNeedsNoSecretOfUs() throws {
        let theirs = ingressYAML("t", spec: "{ingressClassName: nginx, tls: [{secretName: bad}], defaultBackend: \(backendYAML("web:80"))}")
        let loaded = try planTLS([secretYAML("bad", tlsSecretBody(certificate: "\"%%%\"")), theirs]).get()
        #expect(loaded.plan.ingress == nil)
    }
}

@Suite struct IngressTLSSettingsTests {
    private let document = """
        apiVersion: svcproxy.io/v1alpha1
        kind: ProxyConfiguration
        ingressHTTPSBindAddresses: [127.0.0.1:8443, "[::1]:8443"]
        defaultSSLCertificate: shop/default-tls
        ingressTLSHandshakeTimeout: 3s
        ---

        """

    @Test func theProxyConfigurationSetsThemAndFlagsWin() throws {
        let documents = [document, tlsSecret("default-tls"), tlsSecret("other-tls"), ingressYAML("a", spec: tlsSpec("default-tls x.example.com"))]
        let fromDocument = try tlsPlan(planTLS(documents))
        #expect(fromDocument.listenAddresses.map(\.description) == ["127.0.0.1:8443", "[::1]:8443"])
        #expect(fromDocument.defaultCertificate?.secret.description == "shop/default-tls")
        #expect(fromDocument.defaultCertificate?.hosts == ["x.example.com"], "the hosts that name it, as for any certificate")
        #expect(fromDocument.handshakeTimeout == .seconds(3))
        #expect(fromDocument.redirectPort == 8443)

        var flags = NodeSettingsOverrides()
        flags.ingressHTTPSBindAddresses = [try SettingsSyntax.ingressBindAddress("192.0.2.1:443").get()]
        flags.defaultSSLCertificate = try SettingsSyntax.secretReference("shop/other-tls").get()
        let fromFlags = try planTLS(documents, flags: flags).get()
        let tls = try #require(fromFlags.plan.ingress?.tls)
        #expect(tls.listenAddresses.map(\.description) == ["192.0.2.1:443"])
        #expect(tls.defaultCertificate?.secret.description == "shop/other-tls")
        #expect(tls.defaultCertificate?.hosts == [])
        #expect(tls.handshakeTimeout == .seconds(3), "the document's value where no flag is given")
        #expect(fromFlags.settings.ingressTLSHandshakeTimeout == .seconds(3))
    }

    @Test func theDefaultCertificateMustBeATLSSecretOfTheConfiguration() throws {
        var flags = NodeSettingsOverrides()
        flags.defaultSSLCertificate = ObjectKey(namespace: "shop", name: "gone")
        #expect(planTLS([], flags: flags).errorLines == [
            "--default-ssl-certificate: Invalid value: \"shop/gone\": there is no Secret \"shop/gone\" in the configuration",
        ])
        flags.defaultSSLCertificate = ObjectKey(namespace: "shop", name: "db")
        #expect(planTLS([secretYAML("db", ["type: Opaque"])], flags: flags).errorLines == [
            "--default-ssl-certificate: Invalid value: \"shop/db\": Secret \"shop/db\" is of type Opaque: "
                + "the default certificate must be a kubernetes.io/tls Secret",
        ])
        let fromDocument = planTLS([document]).errorLines
        #expect(fromDocument == ["all.yaml:37:24: ProxyConfiguration is invalid: defaultSSLCertificate: Invalid value: \"shop/default-tls\": "
                                 + "there is no Secret \"shop/default-tls\" in the configuration"])
    }

    @Test func theDefaultCertificatesContentsAreCheckedWithoutAnIngress() {
        var flags = NodeSettingsOverrides()
        flags.defaultSSLCertificate = ObjectKey(namespace: "shop", name: "d")
        let errors = planTLS([secretYAML("d", tlsSecretBody(key: "\"!\""))], flags: flags).errorLines
        #expect(errors == ["all.yaml:40:12: Secret \"shop/d\" is invalid: data[tls.key]: Invalid value: \"<secret contents redacted>\": "
                           + "illegal base64 data at input byte 0"])
    }

    @Test func badValuesInTheDocumentAreErrors() {
        let bad = """
            apiVersion: svcproxy.io/v1alpha1
            kind: ProxyConfiguration
            ingressHTTPSBindAddresses: []
            defaultSSLCertificate: default-tls
            ingressTLSHandshakeTimeout: 0s
            ---

            """
        let errors = planTLS([bad]).errorLines.joined(separator: "\n")
        #expect(errors.contains("all.yaml:36:28: ProxyConfiguration is invalid: ingressHTTPSBindAddresses: Invalid value: []: "
                                + "must hold at least one address (e.g. 0.0.0.0:443)"))
        #expect(errors.contains("all.yaml:37:24: ProxyConfiguration is invalid: defaultSSLCertificate: Invalid value: \"default-tls\": "
                                + "'default-tls' must be NAMESPACE/NAME of a Secret"))
        #expect(errors.contains("all.yaml:38:29: ProxyConfiguration is invalid: ingressTLSHandshakeTimeout: Invalid value: \"0s\": "
                                + "'0s' must be more than 0s"))
    }

    static let references: [(String, String?)] = [
        ("shop/web-tls", "shop/web-tls"), ("kube-system/default.cert", "kube-system/default.cert"),
        ("web-tls", nil), ("shop/web/tls", nil), ("/web-tls", nil), ("shop/", nil), ("Shop/web-tls", nil), ("shop/Web_tls", nil),
    ]

    @Test(arguments: references)
    func secretReferencesAreNamespaceSlashName(_ example: (String, String?)) {
        #expect((try? SettingsSyntax.secretReference(example.0).get())?.description == example.1)
    }
}

@Suite struct IngressTLSListenerTests {
    private let ingress = ingressYAML("a", spec: tlsSpec("x-tls x.example.com"))

    @Test func anHTTPSListenerOnAServicePortsAddressIsAnErrorAtTheServicePort() throws {
        var flags = NodeSettingsOverrides()
        flags.ingressHTTPSBindAddresses = [try SettingsSyntax.ingressBindAddress("10.96.0.10:80").get()]
        #expect(planTLS([tlsSecret("x-tls"), ingress], flags: flags).errorLines == [
            "all.yaml:10:5: Service \"shop/web\" is invalid: spec.ports[0]: Duplicate value: 10.96.0.10:80: "
                + "the Ingress controller listens there for HTTPS (--ingress-https-bind-address)",
        ])
    }

    @Test func anHTTPSListenerWhereHTTPIsAcceptedIsAnErrorNamingTheFlagOrTheField() throws {
        var flags = NodeSettingsOverrides()
        flags.ingressHTTPSBindAddresses = [try SettingsSyntax.ingressBindAddress("0.0.0.0:443").get(),
                                           try SettingsSyntax.ingressBindAddress("[::]:80").get()]
        #expect(planTLS([tlsSecret("x-tls"), ingress], flags: flags).errorLines == [
            "--ingress-https-bind-address: Duplicate value: [::]:80: HTTP for the Ingresses is accepted there (--ingress-http-bind-address)",
        ])
        let document = "apiVersion: svcproxy.io/v1alpha1\nkind: ProxyConfiguration\ningressHTTPSBindAddresses: [\"0.0.0.0:80\"]\n---\n"
        #expect(planTLS([document, tlsSecret("x-tls"), ingress]).errorLines == [
            "all.yaml:36:28: ProxyConfiguration is invalid: ingressHTTPSBindAddresses: Duplicate value: 0.0.0.0:80: "
                + "HTTP for the Ingresses is accepted there (--ingress-http-bind-address)",
        ])
    }

    @Test func withoutSpecTLSTheHTTPSAddressesAreNotClaimed() throws {
        var flags = NodeSettingsOverrides()
        flags.ingressHTTPSBindAddresses = [try SettingsSyntax.ingressBindAddress("0.0.0.0:80").get()]
        let loaded = try planTLS([ingressYAML("a", spec: ingressRule(host: "x.example.com", "/ Prefix web:80"))], flags: flags).get()
        #expect(loaded.plan.ingress?.tls == nil)
        #expect(loaded.plan.listenerCount == 2 + 2 + 2, "ClusterIP and NodePort of two ports, and HTTP; no HTTPS")
    }

    @Test func theDiffOpensTheHTTPSListenersWhenSpecTLSAppears() throws {
        let before = try planTLS([ingressYAML("a", spec: ingressRule(host: "x.example.com", "/ Prefix web:80"))]).get().plan
        let after = try planTLS([tlsSecret("x-tls"), ingressYAML("a", spec: tlsSpec("x-tls x.example.com"))]).get().plan
        let diff = PlanDiff(from: before, to: after)
        #expect(diff.opened.map { "\($0.address) \($0.target)" } == ["0.0.0.0:443 Ingress HTTPS", "[::]:443 Ingress HTTPS"])
        #expect(diff.ingressChanged)
    }
}

@Suite struct IngressSSLRedirectTests {
    private func redirect(_ annotations: String, spec: String = tlsSpec("x-tls x.example.com *.shop.example.com", "- n.example.com"))
        -> Result<LoadedPlan, ConfigErrors>
    {
        planTLS([tlsSecret("x-tls"), ingressYAML("a", annotations: annotations, spec: spec),
                 ingressYAML("b", spec: tlsSpec("x-tls b.example.com"))])
    }

    @Test func eitherAnnotationSendsTheIngressesTLSHostsToHTTPS() throws {
        for annotation in ["svcproxy.io/ssl-redirect", "nginx.ingress.kubernetes.io/ssl-redirect"] {
            let tls = try tlsPlan(redirect("{\(annotation): \"true\"}"))
            #expect(tls.redirectHosts.map(\.description) == ["n.example.com", "x.example.com", "*.shop.example.com"], "\(annotation)")
            #expect(tls.redirectPort == 443)
            #expect(tls.redirects(host: "X.example.com:80"))
            #expect(tls.redirects(host: "a.shop.example.com"))
            #expect(!tls.redirects(host: "b.example.com"), "Ingress b has no annotation")
        }
        #expect(try tlsPlan(redirect("{svcproxy.io/ssl-redirect: \"false\"}")).redirectHosts == [])
        #expect(try tlsPlan(redirect("{svcproxy.io/ssl-redirect: \"true\", nginx.ingress.kubernetes.io/ssl-redirect: \"true\"}")).redirectHosts.count == 3)
    }

    @Test func theRedirectNamesTheFirstHTTPSPort() throws {
        var flags = NodeSettingsOverrides()
        flags.ingressHTTPSBindAddresses = try ["192.0.2.1:8443", "192.0.2.2:443"].map { try SettingsSyntax.ingressBindAddress($0).get() }
        let loaded = try planTLS([tlsSecret("x-tls"), ingressYAML("a", annotations: "{svcproxy.io/ssl-redirect: \"true\"}",
                                                                   spec: tlsSpec("x-tls x.example.com"))], flags: flags).get()
        #expect(loaded.plan.ingress?.tls?.redirectPort == 8443)
    }

    @Test func otherValuesAreErrorsOnTheirAnnotation() {
        #expect(redirect("{svcproxy.io/ssl-redirect: \"yes\"}").errorLines == [
            "all.yaml:44:78: Ingress \"shop/a\" is invalid: annotations.svcproxy.io/ssl-redirect: Unsupported value: \"yes\": "
                + "supported values: \"false\", \"true\"",
        ])
        #expect(redirect("{nginx.ingress.kubernetes.io/ssl-redirect: \"True\"}").errorLines.map { $0.replacing(#/^all\.yaml:\d+:\d+: /#, with: "") } == [
            "Ingress \"shop/a\" is invalid: annotations.nginx.ingress.kubernetes.io/ssl-redirect: Unsupported value: \"True\": "
                + "supported values: \"false\", \"true\"",
        ])
        #expect(redirect("{svcproxy.io/ssl-redirect: \"true\", nginx.ingress.kubernetes.io/ssl-redirect: \"false\"}").errorLines
            .map { $0.replacing(#/^all\.yaml:\d+:\d+: /#, with: "") } == [
            "Ingress \"shop/a\" is invalid: annotations.nginx.ingress.kubernetes.io/ssl-redirect: Invalid value: \"false\": "
                + "must match annotation svcproxy.io/ssl-redirect when both are set",
        ])
    }

    @Test func anotherControllersAnnotationIsNotJudged() throws {
        let theirs = ingressYAML("t", annotations: "{nginx.ingress.kubernetes.io/ssl-redirect: \"yes\"}",
                                 spec: "{ingressClassName: nginx, defaultBackend: \(backendYAML("web:80"))}")
        #expect(throws: Never.self) { try planTLS([theirs]).get() }
    }

    @Test func aRedirectWithoutSpecTLSIsNoted() throws {
        let notes = try redirect("{svcproxy.io/ssl-redirect: \"true\"}", spec: ingressRule(host: "x.example.com", "/ Prefix web:80")).get().notes
        #expect(notes.contains { $0.hasSuffix("Ingress \"shop/a\" annotations.svcproxy.io/ssl-redirect: nothing is redirected: "
                                              + "the Ingress has no spec.tls hosts") })
    }
}

@Suite struct IngressTLSPrintingTests {
    @Test func printPlanShowsTheTLSPartAfterTheRoutingTableWithoutKeyBytes() throws {
        var flags = NodeSettingsOverrides()
        flags.defaultSSLCertificate = ObjectKey(namespace: "shop", name: "default-tls")
        let result = planTLS([
            tlsSecret("x-tls"), tlsSecret("default-tls"), tlsSecret("bare-tls"),
            ingressYAML("a", annotations: "{svcproxy.io/ssl-redirect: \"true\"}",
                        spec: tlsSpec("x-tls x.example.com *.x.example.com", "gone g.example.com", "bare-tls")),
        ], flags: flags)
        let printed = try result.get().plan.printed
        #expect(printed.hasSuffix("""
              default backend -> shop/web:http (web:80, Ingress shop/a)
                endpoint 10.0.0.1:8080
                endpoint 10.0.0.2:8080
            Ingress HTTPS (TLS handshake timeout 10s)
              listen   0.0.0.0:443 (Ingress HTTPS)
              listen   [::]:443 (Ingress HTTPS)
              certificate Secret "shop/bare-tls" for the names in the certificate (no spec.tls hosts)
              certificate Secret "shop/x-tls" for *.x.example.com, x.example.com
              default certificate Secret "shop/default-tls" (--default-ssl-certificate)
              default certificate for g.example.com (Ingress shop/a): Secret "shop/gone" does not exist
              redirect to https://HOST (308): g.example.com, x.example.com, *.x.example.com

            """), "\(printed)")
        for leak in keyLeaks {
            #expect(!result.everythingShown.contains(leak))
        }
    }

    @Test func withoutADefaultCertificateOneIsMadeAtStart() throws {
        var flags = NodeSettingsOverrides()
        flags.ingressHTTPSBindAddresses = [try SettingsSyntax.ingressBindAddress("127.0.0.1:8443").get()]
        flags.ingressTLSHandshakeTimeout = .milliseconds(2500)
        let printed = try planTLS([ingressYAML("a", spec: tlsSpec("- x.example.com"))], flags: flags).get().plan.printed
        #expect(printed.hasSuffix("""
            Ingress HTTPS (TLS handshake timeout 2500ms)
              listen   127.0.0.1:8443 (Ingress HTTPS)
              default certificate self-signed, made at start (no --default-ssl-certificate)
              default certificate for x.example.com (Ingress shop/a): no secretName
              no redirects from HTTP to HTTPS

            """), "\(printed)")
    }

    @Test func kubectlOutputOfATLSSecretLoadsAsItIs() throws {
        let loaded = try loadFixture("ingress").get()
        let tls = try #require(loaded.plan.ingress?.tls)
        let certificate = try #require(tls.certificates.first)
        #expect(tls.certificates.count == 1)
        #expect(certificate.secret == ObjectKey(namespace: "shop", name: "shop-tls"))
        #expect(certificate.hosts == ["shop.example.com"])
        let crt = try String(contentsOfFile: fixtures + "/tls/shop.example.com.crt", encoding: .utf8)
        let key = try String(contentsOfFile: fixtures + "/tls/shop.example.com.key", encoding: .utf8)
        #expect(certificate.certificatePEM == Array(crt.utf8))
        #expect(certificate.privateKeyPEM == Array(key.utf8))
        #expect(certificate.privateKeyLocation.description.hasSuffix("ingress/kubectl-get-secret.yaml:6:12"))
        #expect(tls.fallbacks == [])
        let shown = Result<LoadedPlan, ConfigErrors>.success(loaded).everythingShown
        let keyBody = key.split(separator: "\n")[1]
        #expect(!shown.contains(keyBody) && !shown.contains(base64(key)))
        #expect(shown.contains("certificate Secret \"shop/shop-tls\" for shop.example.com"))
    }
}
