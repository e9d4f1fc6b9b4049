// The character classes the parsers check every byte against, compared over all 256 bytes
// with RFC 9110's definitions written out, and numbers as the head writer writes them.
import Testing
@testable import HTTP1

@Suite struct HTTPSyntaxTests {
    @Test func tokenCharactersAreExactlyRFC9110sTchar() {
        // tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" /
        //         "`" / "|" / "~" / DIGIT / ALPHA (RFC 9110 §5.6.2)
        let tchar = Set(Array("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ".utf8))
        #expect(tchar.count == 77)
        for byte in UInt8.min...UInt8.max {
            #expect(HTTPBytes.isTokenCharacter(byte) == tchar.contains(byte), "byte \(byte)")
        }
    }

    @Test func fieldValueCharactersAreVisibleSpaceTabAndObsText() {
        for byte in UInt8.min...UInt8.max {
            let expected = byte == 0x09 || byte == 0x20 || (0x21...0x7E).contains(byte) || byte >= 0x80
            #expect(HTTPBytes.isFieldValueCharacter(byte) == expected, "byte \(byte)")
        }
    }

    @Test func fieldValueBytesAreCheckedAsEachByteWouldBe() {
        // Every byte at every position of buffers of 0 to 24 bytes (three words and a
        // tail), among allowed bytes that sit near the forbidden ones: a word checked
        // wrongly, a lane left out or a word skipped lets a forbidden byte through.
        let fillers: [UInt8] = [0x20, 0x21, 0x7E, 0x80, 0xFF, 0x41, 0x61]
        func filled(_ length: Int) -> [UInt8] { (0..<length).map { fillers[($0 + length) % fillers.count] } }
        func check(_ buffer: [UInt8]) -> Bool {
            let expected = buffer.allSatisfy(HTTPBytes.isFieldValueCharacter)
            let got = buffer.withUnsafeBytes { HTTPBytes.areFieldValueBytes($0) }
            if got != expected { Issue.record("\(buffer): \(got)") }
            return got == expected
        }
        for length in 0...24 {
            for position in 0..<max(length, 1) {
                for byte in UInt8.min...UInt8.max {
                    var buffer = filled(length)
                    if length > 0 { buffer[position] = byte }
                    guard check(buffer) else { return }
                }
            }
        }
        // A tab sends its word to the byte loop; a forbidden byte anywhere after it, in the
        // same word or a later one, is still found.
        for length in 2...24 {
            for tab in 0..<length {
                for position in 0..<length where position != tab {
                    for forbidden: UInt8 in [0x00, 0x0A, 0x0D, 0x1F, 0x7F] {
                        var buffer = filled(length)
                        buffer[tab] = 0x09
                        buffer[position] = forbidden
                        guard check(buffer) else { return }
                    }
                }
            }
        }
    }

    @Test func numbersAreWrittenInDecimalInPlace() {
        for number in [0, 7, 10, 200, 65_535, Int.max, -1, Int.min] {
            // Room for 8 bytes at first: the longest numbers are written again with more.
            let bytes = HTTPHeadWriter.bytes(room: 8) { writer in
                writer.append("n=")
                writer.append(number)
            }
            #expect(bytes == Array("n=\(number)".utf8))
        }
    }
}
