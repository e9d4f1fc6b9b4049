// The chunked body scanner (RFC 9112 §7.1): where a body ends, every framing error that
// could let two parsers disagree on it, and the same answer however the reads split it.
import HTTP1
import Testing

struct ChunkRow: CustomTestStringConvertible, Sendable {
    let name: String
    let body: String
    /// nil when the body is valid and ends at its last byte.
    let error: HTTPParseError?
    var testDescription: String { name }
}

private let rows: [ChunkRow] = [
    ChunkRow(name: "last chunk only", body: "0\r\n\r\n", error: nil),
    ChunkRow(name: "two chunks", body: "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", error: nil),
    ChunkRow(name: "upper-case hex and leading zeros", body: "00A\r\n0123456789\r\n0\r\n\r\n", error: nil),
    ChunkRow(name: "sixteen digits", body: "0000000000000001\r\nx\r\n0\r\n\r\n", error: nil),
    ChunkRow(name: "extensions", body: "5;a;b=tok;c=\"q \\\" s\"\r\nhello\r\n0;last\r\n\r\n", error: nil),
    ChunkRow(name: "trailers", body: "1\r\nx\r\n0\r\nX-Sum: abc\r\nX-Other:\r\n\r\n", error: nil),
    ChunkRow(name: "data holding CRLF", body: "4\r\n\r\n\r\n\r\n0\r\n\r\n", error: nil),
    ChunkRow(name: "no digits", body: "\r\nx\r\n0\r\n\r\n", error: .invalidChunkSize),
    ChunkRow(name: "seventeen digits", body: "00000000000000001\r\nx\r\n0\r\n\r\n", error: .invalidChunkSize),
    ChunkRow(name: "overflowing size", body: "1ffffffffffffffff\r\n", error: .invalidChunkSize),
    ChunkRow(name: "0x prefix", body: "0x5\r\nhello\r\n0\r\n\r\n", error: .invalidChunkSize),
    ChunkRow(name: "leading space", body: " 5\r\nhello\r\n0\r\n\r\n", error: .invalidChunkSize),
    ChunkRow(name: "trailing space", body: "5 \r\nhello\r\n0\r\n\r\n", error: .invalidChunkSize),
    ChunkRow(name: "negative size", body: "-5\r\nhello\r\n0\r\n\r\n", error: .invalidChunkSize),
    ChunkRow(name: "semicolon without size", body: ";a\r\n", error: .invalidChunkSize),
    ChunkRow(name: "bare LF after the size", body: "5\nhello\r\n0\r\n\r\n", error: .bareLineFeed),
    ChunkRow(name: "bare CR after the size", body: "5\rhello\r\n0\r\n\r\n", error: .bareCarriageReturn),
    ChunkRow(name: "bare LF after an extension", body: "5;a=b\nhello\r\n0\r\n\r\n", error: .bareLineFeed),
    ChunkRow(name: "space before an extension", body: "5 ;a\r\nhello\r\n0\r\n\r\n", error: .invalidChunkSize),
    ChunkRow(name: "space after the semicolon", body: "5; a\r\nhello\r\n0\r\n\r\n", error: .invalidChunkExtension),
    ChunkRow(name: "space around =", body: "5;a = b\r\nhello\r\n0\r\n\r\n", error: .invalidChunkExtension),
    ChunkRow(name: "empty extension name", body: "5;\r\nhello\r\n0\r\n\r\n", error: .invalidChunkExtension),
    ChunkRow(name: "empty extension value", body: "5;a=\r\nhello\r\n0\r\n\r\n", error: .invalidChunkExtension),
    ChunkRow(name: "unterminated quoted value", body: "5;a=\"b\r\nhello\r\n0\r\n\r\n", error: .invalidChunkExtension),
    ChunkRow(name: "text after a quoted value", body: "5;a=\"b\"c\r\nhello\r\n0\r\n\r\n", error: .invalidChunkExtension),
    ChunkRow(name: "control in an extension", body: "5;a=b\u{1}\r\nhello\r\n0\r\n\r\n", error: .invalidChunkExtension),
    ChunkRow(name: "data longer than its size", body: "3\r\nhello\r\n0\r\n\r\n", error: .missingChunkTerminator),
    ChunkRow(name: "bare LF after the data", body: "5\r\nhello\n0\r\n\r\n", error: .missingChunkTerminator),
    ChunkRow(name: "obs-fold in the trailers", body: "0\r\nX: a\r\n b\r\n\r\n", error: .obsoleteLineFolding),
    ChunkRow(name: "no colon in a trailer", body: "0\r\nX\r\n\r\n", error: .missingColon),
    ChunkRow(name: "space before a trailer's colon", body: "0\r\nX : a\r\n\r\n", error: .whitespaceBeforeColon),
    ChunkRow(name: "NUL in a trailer", body: "0\r\nX: a\u{0}\r\n\r\n", error: .invalidFieldValue),
    ChunkRow(name: "bare LF ending the body", body: "0\r\n\n", error: .bareLineFeed),
    ChunkRow(name: "bare CR ending the body", body: "0\r\n\rX", error: .bareCarriageReturn),
    ChunkRow(name: "trailers past 8 KiB", body: "0\r\nX: \(String(repeating: "a", count: 8192))\r\n\r\n", error: .trailersTooLarge),
    ChunkRow(name: "a chunk header past 4 KiB", body: "5;a=\(String(repeating: "b", count: 4096))\r\nhello\r\n0\r\n\r\n",
             error: .invalidChunkExtension),
]

@Suite struct ChunkedBodyScannerTests {
    @Test(arguments: rows)
    func bodiesEndOrAreRefused(_ row: ChunkRow) {
        let bytes = Array(row.body.utf8)
        let expected = row.error.map { ["invalid \($0)"] } ?? ["complete @\(bytes.count)"]
        #expect(chunkEvents(bytes) == expected)
    }

    @Test(arguments: rows.filter { $0.body.utf8.count < 200 })
    func everySplitGivesTheSameAnswer(_ row: ChunkRow) {
        let bytes = Array(row.body.utf8)
        let whole = chunkEvents(bytes)
        for cut in 0..<bytes.count {
            #expect(chunkEvents(bytes, cuts: [cut]) == whole, "cut at \(cut)")
        }
        #expect(chunkEvents(bytes, cuts: Array(0..<bytes.count)) == whole)
    }

    @Test func theBytesAfterTheBodyAreTheNextMessages() {
        let bytes = Array("3\r\nabc\r\n0\r\n\r\nGET / HTTP/1.1\r\n".utf8)
        #expect(chunkEvents(bytes).first == "complete @13")
    }

    @Test func aLargeChunkIsSkippedWithoutLookingAtItsBytes() {
        var scanner = HTTPChunkedBodyScanner()
        let header = Array("6400000\r\n".utf8)  // 100 MiB
        #expect(header.withUnsafeBytes { scanner.scan($0) } == .needMore)
        let block = [UInt8](repeating: 10, count: 1 << 20)  // LFs: framing bytes, were they looked at
        for _ in 0..<100 {
            #expect(block.withUnsafeBytes { scanner.scan($0) } == .needMore)
        }
        let end = Array("\r\n0\r\n\r\n".utf8)
        #expect(end.withUnsafeBytes { scanner.scan($0) } == .complete(bytesConsumed: end.count))
    }

    @Test func afterABodyTheScannerReadsTheNextAndARefusalIsFinal() {
        var scanner = HTTPChunkedBodyScanner()
        let body = Array("1\r\nx\r\n0\r\n\r\n".utf8)
        #expect(body.withUnsafeBytes { scanner.scan($0) } == .complete(bytesConsumed: body.count))
        #expect(body.withUnsafeBytes { scanner.scan($0) } == .complete(bytesConsumed: body.count))
        #expect(Array("z".utf8).withUnsafeBytes { scanner.scan($0) } == .invalid(.invalidChunkSize))
        #expect(body.withUnsafeBytes { scanner.scan($0) } == .invalid(.invalidChunkSize))
    }
}

/// Decoding hands over exactly the chunk data, whatever the reads' split.
@Suite struct ChunkedBodyDecodingTests {
    @Test func decodedDataIsTheChunksWhateverTheSplit() {
        let body = Array("5;a=b\r\nhello\r\n6\r\n world\r\n4\r\n\r\n\r\n\r\n0\r\nX-Sum: 1\r\n\r\nNEXT".utf8)
        for cut in 0...body.count {
            var decoder = HTTPChunkedBodyScanner()
            var data: [UInt8] = []
            var results: [HTTPChunkScan] = []
            for piece in [body[..<cut], body[cut...]] {
                piece.withUnsafeBytes { results.append(decoder.decode($0) { data.append(contentsOf: $0) }) }
                if case .complete = results.last { break }
            }
            #expect(String(decoding: data, as: UTF8.self) == "hello world\r\n\r\n")
            let end = body.count - "NEXT".utf8.count  // where the body ends in the stream
            #expect(results.last == .complete(bytesConsumed: cut >= end ? end : end - cut))
        }
    }
}
