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
        // Every byte at every position of buffers of 0 to 20 bytes (so across words and
        // in the tail), among allowed bytes that sit near the forbidden ones.
        let fillers: [UInt8] = [0x20, 0x21, 0x7E, 0x80, 0xFF, 0x09, 0x41]
        for length in 0...20 {
            for position in 0..<max(length, 1) {
                for byte in UInt8.min...UInt8.max {
                    var buffer = (0..<length).map { fillers[($0 + length) % fillers.count] }
                    if length > 0 { buffer[position] = byte }
                    let expected = buffer.allSatisfy(HTTPBytes.isFieldValueCharacter)
                    let got = buffer.withUnsafeBytes { HTTPBytes.areFieldValueBytes($0) }
                    if got != expected {
                        Issue.record("length \(length), byte \(byte) at \(position): \(got)")
                        return
                    }
                }
            }
        }
    }

    @Test func numbersAreWrittenInDecimalInPlace() {
        for number in [0, 7, 10, 200, 65_535, Int.max, -1, Int.min] {
            var writer = HTTPHeadWriter(capacity: 8)
            writer.append("n=")
            writer.append(number)
            #expect(writer.bytes == Array("n=\(number)".utf8))
        }
    }
}
