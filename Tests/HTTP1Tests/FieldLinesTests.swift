// The field lines of a head as the parser reads them (eight bytes a step, each line's end
// found where its value ends), against the rules written out one byte and one line at a
// time: every byte of a few kinds at every place of a head's field lines.
import Testing
@testable import HTTP1

@Suite struct FieldLinesTests {
    private struct Field: Equatable {
        let name: String
        let value: String
        let plain: Bool
    }

    /// RFC 9112 §5 and RFC 9110 §5.5 for `lines` (without their CRLF), a line at a time.
    private func expected(_ lines: [[UInt8]], maximum: Int) -> Result<[Field], HTTPParseError> {
        var fields: [Field] = []
        for (index, line) in lines.enumerated() {
            let error: HTTPParseError?
            let nameEnd = line.firstIndex { !HTTPBytes.isTokenCharacter($0) } ?? line.count
            let colon = line.firstIndex(of: HTTPBytes.colon)
            if index == 0, let first = line.first, HTTPBytes.isWhitespace(first) {
                error = .whitespaceBeforeFirstField
            } else if nameEnd == 0 || nameEnd == line.count || line[nameEnd] != HTTPBytes.colon {
                if let first = line.first, HTTPBytes.isWhitespace(first) {
                    error = .obsoleteLineFolding
                } else if let colon {
                    error = colon > 0 && HTTPBytes.isWhitespace(line[colon - 1]) ? .whitespaceBeforeColon : .invalidFieldName
                } else {
                    error = .missingColon
                }
            } else if !line[(nameEnd + 1)...].allSatisfy(HTTPBytes.isFieldValueCharacter) {
                error = .invalidFieldValue
            } else {
                error = nil
            }
            if let error { return .failure(lines.count > maximum ? .tooManyFields : error) }
            guard fields.count < maximum else { return .failure(.tooManyFields) }
            var value = Array(line[(nameEnd + 1)...])
            while let first = value.first, HTTPBytes.isWhitespace(first) { value.removeFirst() }
            while let last = value.last, HTTPBytes.isWhitespace(last) { value.removeLast() }
            // `name: value`, one space and nothing after: written again, the same bytes.
            let plain = line.count > nameEnd + 1 && line[nameEnd + 1] == HTTPBytes.space && line.count == nameEnd + 2 + value.count
            fields.append(Field(name: String(decoding: line[..<nameEnd], as: UTF8.self), value: String(decoding: value, as: UTF8.self),
                                plain: plain))
        }
        return .success(fields)
    }

    private func parsed(_ lines: [[UInt8]], maximum: Int) -> Result<[Field], HTTPParseError> {
        let first = Array("GET / HTTP/1.1\r\n".utf8)
        let head = first + lines.flatMap { $0 + [HTTPBytes.cr, HTTPBytes.lf] } + [HTTPBytes.cr, HTTPBytes.lf]
        return head.withUnsafeBytes { buffer in
            HTTPFieldLines.fields(of: buffer[...], from: first.count, maximum: maximum).map { fields in
                fields.map { Field(name: $0.name, value: $0.value, plain: $0.plainLine) }
            }
        }
    }

    @Test func everyByteInEveryPlaceIsReadAsTheRulesSay() {
        let lines = ["Host: bench.example", "X-A-Rather-Long-Field-Name:  with\ttab  ", "Content-Length: 10", "E:v", "Accept-Ranges: bytes"]
            .map { Array($0.utf8) }
        // Bytes at the edges of the classes a name and a value are checked against (CR and
        // LF end lines: a bare one never reaches here, the accumulator refuses it first).
        let bytes: [UInt8] = [0x00, 0x09, 0x0B, 0x1F, 0x20, 0x21, 0x28, 0x2D, 0x3A, 0x41, 0x5F, 0x7E, 0x7F, 0x80, 0xFF]
        var compared = 0
        // Limits below, at and above the five lines, so that the count is tested at its edge.
        for maximum in [3, 4, 5, 16] {
            for lineIndex in lines.indices {
                for position in lines[lineIndex].indices {
                    for byte in bytes {
                        var mutated = lines
                        mutated[lineIndex][position] = byte
                        let want = expected(mutated, maximum: maximum)
                        let got = parsed(mutated, maximum: maximum)
                        compared += 1
                        guard got == want else {
                            Issue.record("\(mutated.map { String(decoding: $0, as: UTF8.self) }), maximum \(maximum): \(got), not \(want)")
                            return
                        }
                    }
                }
            }
        }
        #expect(compared > 2_000)
    }

    @Test func aTrailerLineIsReadByTheSameRulesAsAHeadersLine() {
        // The same line as a head's second field line (so that no rule of the first applies)
        // and as a trailer line: the same refusal, or the same name, value and plainness.
        for text in ["X-Checksum: abc", "X-Checksum:\tabc\t", "X-Checksum:", "X-Checksum:  ", " X: y", "X : y", "X y", "X: a\u{7F}b",
                     "X: a\u{0}", "(X): y", ": y", "X:y z"] {
            let line = Array(text.utf8)
            let asField = parsed([Array("A: b".utf8), line], maximum: 16).map { $0[1] }
            let asTrailer = line.withUnsafeBytes { buffer in
                HTTPFieldLines.check(buffer[...]).map { ranges in
                    Field(name: String(decoding: line[ranges.name], as: UTF8.self), value: String(decoding: line[ranges.value], as: UTF8.self),
                          plain: ranges.plain)
                }
            }
            #expect(asField == asTrailer, "\(text)")
        }
    }

    @Test func theConnectionListIsReadOnceForWhatItSays() {
        func options(_ values: [String]) -> HTTPConnectionOptions {
            HTTPConnectionOptions(values.map { HTTPField(name: "Connection", value: $0) } + [HTTPField(name: "Host", value: "a")])
        }
        #expect(!options([]).namesOtherFields && !options([]).listsClose)
        #expect(!options(["keep-alive, Upgrade", "TE"]).namesOtherFields)
        #expect(options(["Keep-Alive"]).keepAlive && options(["x, upgrade"]).upgrade)
        #expect(options(["CLOSE"]).listsClose && options(["close"]).namesOtherFields)
        #expect(options([" , X-Foo"]).namesOtherFields && !options([" , X-Foo"]).listsClose)
        #expect(!options(["close"]).keepsAlive(version: .http11) && options([]).keepsAlive(version: .http11))
        #expect(!options([]).keepsAlive(version: .http10) && options(["keep-alive"]).keepsAlive(version: .http10))
    }
}
