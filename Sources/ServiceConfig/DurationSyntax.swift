// The one grammar for durations, wherever a user writes one: the timeout flags, the
// ProxyConfiguration document, the svcproxy.io/idle-timeout annotation and
// --shutdown-grace-period. It is Go's time.ParseDuration, as kube-proxy's flags take it
// ("30s", "500ms", "2m", "1h30m", "1.5h", units ns, us/µs, ms, s, m, h), plus what
// svcproxy's flags accepted before the grammars were one: a bare number means seconds
// ("30"), and a number may carry a decimal exponent ("2e3s"). Negative durations, anything
// not finite and anything over a century (a typo, and past it deadlines in nanoseconds
// overflow) are rejected.

extension SettingsSyntax {
    /// The longest duration accepted: 100 years of 365 days, in seconds.
    public static let longestDurationSeconds: Double = 100 * 365 * 86400

    /// Units longest first, so that "ms" is not read as "m" followed by "s".
    private static let durationUnits: [(name: String, seconds: Double)] = [
        ("ns", 1e-9), ("us", 1e-6), ("µs", 1e-6), ("μs", 1e-6), ("ms", 1e-3), ("s", 1), ("m", 60), ("h", 3600),
    ]

    /// A duration such as "5s", "250ms", "1h30m" or "30" (seconds).
    public static func duration(_ text: String) -> Result<Duration, SettingsSyntaxError> {
        let bad = SettingsSyntaxError("'\(text)' is not a duration (e.g. 30s, 500ms, 2m, 1h30m)")
        var rest = Substring(text.trimmingSpaces)
        if rest.hasPrefix("-") { return .failure(SettingsSyntaxError("'\(text)' is negative: a duration must be 0 or more")) }
        if rest.hasPrefix("+") { rest = rest.dropFirst() }
        guard !rest.isEmpty else { return .failure(bad) }
        var seconds = 0.0
        if let bare = number(prefixOf: rest), bare.count == rest.count, let value = Double(bare) {
            seconds = value
        } else {
            while !rest.isEmpty {
                guard let digits = number(prefixOf: rest), let value = Double(digits) else { return .failure(bad) }
                rest = rest.dropFirst(digits.count)
                guard let unit = durationUnits.first(where: { rest.hasPrefix($0.name) }) else { return .failure(bad) }
                rest = rest.dropFirst(unit.name.count)
                seconds += value * unit.seconds
            }
        }
        guard seconds.isFinite, seconds <= longestDurationSeconds else {
            return .failure(SettingsSyntaxError("'\(text)' is too long: at most 100 years"))
        }
        return .success(.nanoseconds(Int64((seconds * 1e9).rounded())))
    }

    /// The longest prefix of `text` that is a decimal number: digits with an optional
    /// fraction ("1.5", ".5", "5.") and exponent ("2e3", "1E-3"); nil if it starts with none.
    private static func number(prefixOf text: Substring) -> Substring? {
        let isDigit: (Character) -> Bool = { $0.isASCII && $0.isNumber }
        var end = text.startIndex
        var digitCount = 0
        func skipDigits() {
            while end < text.endIndex, isDigit(text[end]) { end = text.index(after: end); digitCount += 1 }
        }
        skipDigits()
        if end < text.endIndex, text[end] == "." { end = text.index(after: end); skipDigits() }
        guard digitCount > 0 else { return nil }
        // An exponent only where digits follow it: "2e3s" has one, "2es" would not.
        if end < text.endIndex, text[end] == "e" || text[end] == "E" {
            var exponentEnd = text.index(after: end)
            if exponentEnd < text.endIndex, text[exponentEnd] == "+" || text[exponentEnd] == "-" {
                exponentEnd = text.index(after: exponentEnd)
            }
            let digitsStart = exponentEnd
            while exponentEnd < text.endIndex, isDigit(text[exponentEnd]) { exponentEnd = text.index(after: exponentEnd) }
            if exponentEnd > digitsStart { end = exponentEnd }
        }
        return text[text.startIndex..<end]
    }
}

extension Duration {
    /// Whole nanoseconds, never negative: what deadlines on the monotonic clock add up.
    public var nanoseconds: UInt64 {
        let (seconds, attoseconds) = components
        return UInt64(max(0, seconds)) * 1_000_000_000 + UInt64(max(0, attoseconds) / 1_000_000_000)
    }
}
