// The SNI table's rules on their own: exact before wildcard, a wildcard covers one label,
// and a name two certificates share goes to the one whose Secret spec.tls lists for it,
// else to the first; the default's own names rank last.
import Testing
@testable import TLS

@Suite struct SNISelectionTests {
    private let defaultContext = OpaquePointer(bitPattern: 0x1000)!
    private let first = OpaquePointer(bitPattern: 0x2000)!
    private let second = OpaquePointer(bitPattern: 0x3000)!

    private func candidate(_ names: [String], listed: [String] = [], isDefault: Bool = false,
                           _ context: OpaquePointer) -> SNISelection.Candidate {
        .init(names: names, listedHosts: listed, isDefault: isDefault, context: context)
    }

    @Test func exactNamesWinOverWildcardsWhichCoverOneLabel() {
        let selection = SNISelection(defaultContext: defaultContext, candidates: [
            candidate(["*.foo.com"], first), candidate(["a.foo.com"], second),
        ])
        #expect(selection.context(for: "a.foo.com") == second)
        #expect(selection.context(for: "B.Foo.Com.") == first)
        #expect(selection.context(for: "x.b.foo.com") == defaultContext)
        #expect(selection.context(for: "foo.com") == defaultContext)
        #expect(selection.context(for: ".foo.com") == defaultContext)
    }

    @Test func aSharedNameGoesToTheCertificateWhoseSecretListsIt() {
        let listedSecond = SNISelection(defaultContext: defaultContext, candidates: [
            candidate(["shop.com"], first), candidate(["shop.com"], listed: ["shop.com"], second),
        ])
        #expect(listedSecond.context(for: "shop.com") == second)
        let neitherListed = SNISelection(defaultContext: defaultContext, candidates: [
            candidate(["shop.com"], first), candidate(["shop.com"], second),
        ])
        #expect(neitherListed.context(for: "shop.com") == first)
    }

    @Test func theDefaultsOwnNamesRankLast() {
        let selection = SNISelection(defaultContext: defaultContext, candidates: [
            candidate(["a.foo.com"], isDefault: true, defaultContext), candidate(["a.foo.com"], first),
        ])
        #expect(selection.context(for: "a.foo.com") == first)
    }
}
