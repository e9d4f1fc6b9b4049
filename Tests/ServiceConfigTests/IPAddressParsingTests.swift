// The hand-read dotted quad agrees with inet_pton (and the leading-zero rule) on every
// string of digits and dots it is given, and the hand-written one with inet_ntop on every
// address, so the quick paths change no address.
import Glibc
import Testing
@testable import ServiceConfig

/// What inet_pton makes of `text` as IPv4, leading zeros refused as Kubernetes does.
private func reference(_ text: String) -> UInt32? {
    var v4 = in_addr()
    guard inet_pton(AF_INET, text, &v4) == 1 else { return nil }
    guard !text.split(separator: ".").contains(where: { $0.count > 1 && $0.first == "0" }) else { return nil }
    return UInt32(bigEndian: v4.s_addr)
}

@Suite struct IPAddressParsingTests {
    @Test func dottedQuadsParseAsInetPtonDoes() {
        var random = SplitMix(state: 18)
        let alphabet = Array("0123456789.")
        var samples = ["0.0.0.0", "255.255.255.255", "256.1.1.1", "1.2.3", "1.2.3.4.5", "01.2.3.4", "1..2.3", ".1.2.3", "1.2.3.4.",
                       "10.96.0.10", "1.2.3.04", "1.2.3.0", "999.1.1.1", "1.2.3.4 ", "", "1.2.3.a"]
        for _ in 0..<20000 {
            let length = Int(random.next() % 16)
            samples.append(String((0..<length).map { _ in alphabet[Int(random.next() % UInt64(alphabet.count))] }))
            // Four numbers up to 300, some written with a leading zero.
            samples.append((0..<4).map { _ in (random.next() % 5 == 0 ? "0" : "") + "\(random.next() % 301)" }.joined(separator: "."))
        }
        for sample in samples {
            let parsed = IPAddress(sample)
            let expected = reference(sample)
            if let expected {
                #expect(parsed == IPAddress(family: .ipv4, high: 0, low: 0x0000_ffff_0000_0000 | UInt64(expected)), "\(sample)")
            } else {
                #expect(parsed?.family != .ipv4, "\(sample)")
            }
        }
    }

    @Test func ipv4AddressesPrintAsInetNtopWritesThem() {
        var random = SplitMix(state: 19)
        var samples: [UInt32] = [0, 0xffff_ffff, 0x0a00_0001, 0x7f00_0001, 0x0102_0304, 0x6440_000a, 0xc0a8_64c8, 0x0909_6363, 0x6463_0a09]
        // Every octet value in every place, the others random.
        for place in 0..<4 {
            for octet in UInt32(0)...255 {
                let others = UInt32(truncatingIfNeeded: random.next()) & ~(0xff << (8 * place))
                samples.append(others | octet << (8 * place))
            }
        }
        for _ in 0..<5000 { samples.append(UInt32(truncatingIfNeeded: random.next())) }
        for value in samples {
            var v4 = in_addr(s_addr: value.bigEndian)
            var text = [CChar](repeating: 0, count: Int(INET_ADDRSTRLEN))
            #expect(inet_ntop(AF_INET, &v4, &text, socklen_t(text.count)) != nil)
            let expected = String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            #expect(IPAddress(family: .ipv4, high: 0, low: 0x0000_ffff_0000_0000 | UInt64(value)).description == expected)
        }
    }
}
