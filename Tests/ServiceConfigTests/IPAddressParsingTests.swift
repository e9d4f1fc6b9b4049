// The hand-read dotted quad agrees with inet_pton (and the leading-zero rule) on every
// string of digits and dots it is given, so the quick path changes no address.
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
}
