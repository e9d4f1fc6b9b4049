// The names the proxy acts on, told apart as a field is made: in any case, and never a
// name that differs from one of them in any byte.
import Testing
@testable import HTTP1

@Suite struct FieldNameTests {
    static let known: [HTTPFieldName] = [.connection, .contentLength, .expect, .host, .keepAlive, .proxyConnection, .te, .trailer,
                                         .transferEncoding, .upgrade, .xForwardedFor, .xForwardedHost, .xForwardedPort,
                                         .xForwardedProto, .xRealIP, .xRequestID]

    private func name(_ bytes: [UInt8]) -> HTTPFieldName {
        bytes.withUnsafeBytes { HTTPFieldName.of($0) }
    }

    @Test(arguments: known)
    func aNameIsToldInEitherCaseAndNoByteOfItCanDiffer(_ known: HTTPFieldName) {
        let spelling = Array(UnsafeBufferPointer(start: known.spelling.utf8Start, count: known.spelling.utf8CodeUnitCount))
        #expect(name(spelling) == known)
        #expect(name(spelling.map(HTTPBytes.lowercased)) == known)
        #expect(name(Array(String(decoding: spelling, as: UTF8.self).uppercased().utf8)) == known)
        // Every byte in every place: the same name only for the byte itself or, in a
        // letter's place, the letter in the other case (a word compared wrongly, or a lane
        // left out, names a field it should not).
        for position in spelling.indices {
            for byte in UInt8.min...UInt8.max {
                var changed = spelling
                changed[position] = byte
                let same = HTTPBytes.lowercased(byte) == HTTPBytes.lowercased(spelling[position])
                #expect(name(changed) == (same ? known : .other), "\(known) with \(byte) at \(position)")
            }
        }
    }

    @Test func namesOfOtherLengthsAreNoneOfThem() {
        #expect(name(Array("Hosts".utf8)) == .other)
        #expect(name(Array("X-Forwarded-Fo".utf8)) == .other)
        #expect(name([]) == .other)
        #expect(HTTPField(name: "content-LENGTH", value: "1").hasName(.contentLength))
        #expect(!HTTPField(name: "Date", value: "x").hasName(.other))
    }
}
