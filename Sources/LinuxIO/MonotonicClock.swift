// The monotonic clock, for deadlines that must not jump with wall-clock changes.
internal import CLinux

public enum MonotonicClock {
    /// Nanoseconds since an arbitrary point fixed at boot (`CLOCK_MONOTONIC`).
    public static func now() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
    }
}
