// The one duration grammar and the one bind-address parser, as tables: every form a flag,
// the ProxyConfiguration document or an annotation accepted before they were one still
// reads the same, and what makes no sense is refused.
import Testing
@testable import ServiceConfig

@Suite struct DurationSyntaxTests {
    static let accepted: [(String, Duration)] = [
        ("30s", .seconds(30)), ("500ms", .milliseconds(500)), ("2m", .seconds(120)), ("1h", .seconds(3600)),
        ("1h30m", .seconds(5400)), ("1h2m3s", .seconds(3723)), ("1m30s", .seconds(90)), ("1.5h", .seconds(5400)),
        ("250ms", .milliseconds(250)), ("1500us", .microseconds(1500)), ("1500µs", .microseconds(1500)),
        ("10ns", .nanoseconds(10)), ("0s", .zero), ("0", .zero), ("+5s", .seconds(5)), (" 5s ", .seconds(5)),
        // --shutdown-grace-period took these before the grammars were one.
        ("30", .seconds(30)), ("1.5", .milliseconds(1500)), (".5s", .milliseconds(500)), ("2e3s", .seconds(2000)),
        ("1e3", .seconds(1000)), ("5.s", .seconds(5)),
        ("3153600000s", .seconds(3_153_600_000)),  // exactly a century
    ]

    @Test(arguments: accepted)
    func reads(_ example: (String, Duration)) {
        #expect((try? SettingsSyntax.duration(example.0).get()) == example.1)
    }

    static let refused: [(String, String)] = [
        ("", "is not a duration"), ("5 minutes", "is not a duration"), ("5x", "is not a duration"),
        ("s", "is not a duration"), ("1h30", "is not a duration"), ("inf", "is not a duration"),
        ("nan", "is not a duration"), ("infinity", "is not a duration"), ("0x10s", "is not a duration"),
        ("1e", "is not a duration"), ("--5s", "is negative"), ("-5s", "is negative"), ("-0", "is negative"),
        ("2e10s", "too long"), ("3153600001s", "too long"), ("1e400", "too long"), ("876001h", "too long"),
    ]

    @Test(arguments: refused)
    func refuses(_ example: (String, String)) {
        guard case .failure(let error) = SettingsSyntax.duration(example.0) else {
            Issue.record("'\(example.0)' was read as a duration")
            return
        }
        #expect(error.description.contains(example.1), "\(error)")
    }
}

@Suite struct BindAddressSyntaxTests {
    static let accepted: [(String, String)] = [
        ("127.0.0.1:10249", "127.0.0.1:10249"), ("[::]:10256", "[::]:10256"), ("[::1]:0", "[::1]:0"),
        ("0.0.0.0:65535", "0.0.0.0:65535"), ("::1:10249", "[::1]:10249"), ("[fd00::0010]:80", "[fd00::10]:80"),
    ]

    @Test(arguments: accepted)
    func reads(_ example: (String, String)) {
        #expect((try? SettingsSyntax.bindAddress(example.0).get())?.description == example.1)
    }

    @Test(arguments: ["localhost:10256", "127.0.0.1", "127.0.0.1:", "127.0.0.1:65536", "127.0.0.1:-1",
                      "[127.0.0.1:80", "010.0.0.1:80", ":80", "[::1]", ""])
    func refuses(_ text: String) {
        #expect((try? SettingsSyntax.bindAddress(text).get()) == nil)
    }
}
