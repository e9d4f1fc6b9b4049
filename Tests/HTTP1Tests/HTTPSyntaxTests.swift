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

    @Test func registeredNameCharactersAreExactlyRFC3986s() {
        // reg-name = *( unreserved / pct-encoded / sub-delims ); unreserved = ALPHA / DIGIT /
        // "-" / "." / "_" / "~"; sub-delims = "!" / "$" / "&" / "'" / "(" / ")" / "*" / "+" /
        // "," / ";" / "=" (RFC 3986 §2.2, §2.3, §3.2.2): what a Host's name is made of.
        let allowed = Set(Array("-._~!$&'()*+,;=0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ".utf8))
        #expect(allowed.count == 77)
        for byte in UInt8.min...UInt8.max {
            #expect(HTTPRequestTarget.isRegisteredNameCharacter(byte) == allowed.contains(byte), "byte \(byte)")
        }
    }

    @Test func fieldValueCharactersAreVisibleSpaceTabAndObsText() {
        for byte in UInt8.min...UInt8.max {
            let expected = byte == 0x09 || byte == 0x20 || (0x21...0x7E).contains(byte) || byte >= 0x80
            #expect(HTTPBytes.isFieldValueCharacter(byte) == expected, "byte \(byte)")
        }
    }

    @Test func fieldValueEndIsTheFirstByteNoValueMayHold() {
        // Every byte at every position of buffers of 0 to 24 bytes (three words and a
        // tail), scanned from their start and from a few bytes in, among allowed bytes that
        // sit near the forbidden ones: a word checked wrongly, a lane left out or a word
        // skipped lets a forbidden byte through or stops short.
        let fillers: [UInt8] = [0x20, 0x21, 0x7E, 0x80, 0xFF, 0x41, 0x61]
        func filled(_ length: Int) -> [UInt8] { (0..<length).map { fillers[($0 + length) % fillers.count] } }
        func check(_ buffer: [UInt8], from start: Int) -> Bool {
            let expected = buffer[start...].firstIndex { !HTTPBytes.isFieldValueCharacter($0) } ?? buffer.count
            let got = buffer.withUnsafeBytes { HTTPBytes.fieldValueEnd(in: $0, from: start) }
            if got != expected { Issue.record("\(buffer) from \(start): \(got), not \(expected)") }
            return got == expected
        }
        for length in 0...24 {
            for start in [0, 3] where start <= length {
                for position in 0..<max(length, 1) {
                    for byte in UInt8.min...UInt8.max {
                        var buffer = filled(length)
                        if length > 0 { buffer[position] = byte }
                        guard check(buffer, from: start) else { return }
                    }
                }
            }
        }
        // A tab stops a word's step and is stepped over; a forbidden byte anywhere after
        // it, in the same word or a later one, is still found.
        for length in 2...24 {
            for tab in 0..<length {
                for position in 0..<length where position != tab {
                    for forbidden: UInt8 in [0x00, 0x0A, 0x0D, 0x1F, 0x7F] {
                        var buffer = filled(length)
                        buffer[tab] = 0x09
                        buffer[position] = forbidden
                        guard check(buffer, from: 0) else { return }
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
                    let values = HTTPByteLanes.valueLanes(word)
                    for index in 0..<8 {
                        let bit = UInt64(index * 8 + 7)
                        if ((names >> bit) & 1 == 1) != common.contains(bytes[index]) { failures += 1 }
                        let value = HTTPBytes.isFieldValueCharacter(bytes[index]) && bytes[index] != HTTPBytes.tab
                        if ((values >> bit) & 1 == 1) != value { failures += 1 }
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
