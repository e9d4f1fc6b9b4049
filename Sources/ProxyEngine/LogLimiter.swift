// Keeps repeated failures (a dead endpoint, a flood, exhausted descriptors) to one log
// line per key per interval, with a count of what was held back: never a line per
// connection. One per worker, so no lock.

struct LogLimiter {
    private var windows: [String: (start: UInt64, suppressed: Int)] = [:]
    let interval: UInt64

    init(intervalNanoseconds: UInt64 = 10_000_000_000) {
        interval = intervalNanoseconds
    }

    /// Whether to log `key` now; if so, how many were held back since the last line.
    mutating func admit(_ key: String, now: UInt64) -> Int? {
        if let window = windows[key], now &- window.start < interval {
            windows[key] = (window.start, window.suppressed + 1)
            return nil
        }
        let suppressed = windows[key]?.suppressed ?? 0
        windows[key] = (now, 0)
        if windows.count > 1024 { windows = windows.filter { now &- $0.value.start < interval } }
        return suppressed
    }
}
