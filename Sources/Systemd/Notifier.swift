// The service manager's notify protocol (sd_notify(3)): READY=1 once every listener is
// bound, STATUS= with a one-line summary, RELOADING=1 with MONOTONIC_USEC= around a
// reload, STOPPING=1 on the way out, WATCHDOG=1 while the event loops are alive. Without
// NOTIFY_SOCKET (not started by systemd) every call is a no-op.
internal import CSystemd
import LinuxIO

public enum SystemdNotifier {
    /// Sends `READY=1` and `STATUS=<status>`.
    public static func ready(status: String) {
        send("READY=1\nSTATUS=\(status)")
    }

    /// Sends `STATUS=<status>` alone.
    public static func status(_ status: String) {
        send("STATUS=\(status)")
    }

    /// Sends `RELOADING=1` with the monotonic time, which systemd uses to tell this
    /// reload from an earlier one (sd_notify(3)).
    public static func reloading() {
        send("RELOADING=1\nMONOTONIC_USEC=\(MonotonicClock.now() / 1_000)\nSTATUS=Reloading the configuration")
    }

    /// Sends `STOPPING=1`.
    public static func stopping(status: String) {
        send("STOPPING=1\nSTATUS=\(status)")
    }

    /// Sends `WATCHDOG=1`: the service is alive.
    public static func watchdogPing() {
        send("WATCHDOG=1")
    }

    /// The watchdog interval in nanoseconds, if systemd set one for this process
    /// (`WATCHDOG_USEC`, and `WATCHDOG_PID` naming this process if present).
    public static func watchdogInterval() -> UInt64? {
        var microseconds: UInt64 = 0
        guard sd_watchdog_enabled(0, &microseconds) > 0, microseconds > 0 else { return nil }
        return microseconds * 1_000
    }

    /// Sends `state`, newline-separated assignments, as one datagram.
    public static func send(_ state: String) {
        _ = sd_notify(0, state)
    }
}
