// The smuggling corpus (Tests/blackbox/http_corpus) read by the codec alone, as the Ingress
// proxy will read it: heads, then each body by its framing, until the bytes end. The
// black-box test compares the daemon with llhttp and h11 on the same files; this pins what
// the codec itself decides, case by case, so that a change of verdict is a visible choice.
import Foundation
import HTTP1
import Testing

/// The cases the codec accepts whole; every other file in the corpus must be refused.
private let accepted: Set<String> = [
    "valid-get", "valid-content-length", "valid-content-length-leading-zeros", "valid-chunked", "valid-chunked-uppercase-hex",
    "valid-chunked-with-trailers", "valid-chunked-with-extension", "valid-chunked-with-quoted-extension",
    "valid-te-uppercase-chunked", "valid-te-tab-before-value", "valid-http10-content-length", "valid-absolute-form",
    "valid-options-asterisk", "valid-query-with-braces", "valid-expect-continue", "pipelined-valid", "pipelined-valid-post-then-get",
    // RFC 9112 §2.2: a server SHOULD ignore an empty line before the request line (llhttp
    // does; h11 does not).
    "leading-empty-line",
    // RFC 9110 §8.6: one value repeated is that value (h11 agrees; llhttp refuses any repeat).
    "double-cl-same", "cl-comma-same",
    // Any token is a method (RFC 9110 §9.1; h11 agrees; llhttp knows a fixed list).
    "unknown-method", "lowercase-method",
]

private let corpus: URL = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("../blackbox/http_corpus").standardizedFileURL

private func corpusCases() -> [String] {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: corpus.path)) ?? []
    return names.filter { $0.hasSuffix(".http") }.map { String($0.dropLast(5)) }.sorted()
}

/// Whether the codec reads `bytes` as whole requests, each body by its framing, ending
/// exactly where the bytes do.
private func codecAccepts(_ bytes: [UInt8]) -> Bool {
    var parser = HTTPRequestHeadParser(limits: .init(requestLineBytes: 8192, headBytes: 32768, fields: 100))
    var offset = 0
    var requests = 0
    while offset < bytes.count {
        guard case .complete(let head, let consumed) = parser.feed(bytes[offset...]) else { return false }
        offset += consumed
        requests += 1
        switch head.framing {
        case .none:
            continue
        case .contentLength(let length):
            guard length <= UInt64(bytes.count - offset) else { return false }
            offset += Int(length)
        case .chunked:
            var scanner = HTTPChunkedBodyScanner()
            guard case .complete(let consumed) = bytes[offset...].withUnsafeBytes({ scanner.scan($0) }) else { return false }
            offset += consumed
        }
    }
    return requests > 0
}

@Suite struct SmugglingCorpusTests {
    @Test func theCorpusIsThere() {
        #expect(corpusCases().count >= 40, "no corpus at \(corpus.path)")
        #expect(accepted.isSubset(of: Set(corpusCases())))
    }

    @Test(arguments: corpusCases())
    func theCodecsVerdict(_ name: String) throws {
        let bytes = try [UInt8](Data(contentsOf: corpus.appendingPathComponent("\(name).http")))
        #expect(codecAccepts(bytes) == accepted.contains(name))
    }
}
