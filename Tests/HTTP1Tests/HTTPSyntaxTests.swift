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

    @Test func wordLaneTestsAnswerForEachByteAsTheByteTestsDo() {
        // Every byte value in every lane, the other lanes filled with bytes at the edges of
        // the classes (a carry or borrow crossing into a lane shows as a wrong answer there).
        let fillers: [UInt8] = [0x00, 0x1F, 0x20, 0x2D, 0x30, 0x39, 0x3A, 0x40, 0x41, 0x5A, 0x60, 0x61, 0x7A, 0x7F, 0x80, 0xFF]
        let common = Set(Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-".utf8))
        var failures = 0
        for filler in fillers {
            for lane in 0..<8 {
                for byte in UInt8.min...UInt8.max {
                    var bytes = [UInt8](repeating: filler, count: 8)
                    bytes[lane] = byte
                    let word = bytes.withUnsafeBytes { HTTPByteLanes.word($0, at: 0) }
                    let names = HTTPByteLanes.nameLanes(word)
                    for index in 0..<8 where ((names >> UInt64(index * 8 + 7)) & 1 == 1) != common.contains(bytes[index]) {
                        failures += 1
                    }
                    if HTTPByteLanes.areAllFieldValueBytes(word)
                        != bytes.allSatisfy({ HTTPBytes.isFieldValueCharacter($0) && $0 != HTTPBytes.tab }) {
                        failures += 1
                    }
                }
            }
        }
        #expect(failures == 0)
    }

    @Test func tokenEndIsWhereTheFirstNonTokenByteIs() {
        // Every byte at every position of names of 0 to 24 bytes (three words and a tail),
        // among name bytes of each kind: letters, digits, hyphens and the rarer tchar.
        let fillers = Array("Content-Length_9~".utf8)
        for length in 0...24 {
            for position in 0..<max(length, 1) {
                for byte in UInt8.min...UInt8.max {
                    var buffer = (0..<length).map { fillers[($0 + length) % fillers.count] }
                    if length > 0 { buffer[position] = byte }
                    let expected = buffer.firstIndex { !HTTPBytes.isTokenCharacter($0) } ?? length
                    let got = buffer.withUnsafeBytes { HTTPBytes.tokenEnd(in: $0) }
                    guard got == expected else {
                        Issue.record("\(buffer): \(got), not \(expected)")
                        return
                    }
                }
            }
        }
    }

    @Test func aValuesLastWordMayTakeInTheAllowedBytesBeforeIt() {
        // A value of fewer than eight bytes after a name and colon is checked as the line's
        // last word; a forbidden byte anywhere in the value is still found.
        for valueLength in 1...12 {
            for position in 0..<valueLength {
                for forbidden: UInt8 in [0x00, 0x0A, 0x0D, 0x1F, 0x7F] {
                    var line = Array("Accept-Ranges:".utf8) + [UInt8](repeating: 0x61, count: valueLength)
                    let start = line.count - valueLength
                    #expect(line.withUnsafeBytes { HTTPBytes.areFieldValueBytes($0, from: start) })
                    line[start + position] = forbidden
                    #expect(!line.withUnsafeBytes { HTTPBytes.areFieldValueBytes($0, from: start) },
                            "\(valueLength) bytes, \(forbidden) at \(position)")
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
