// The service manager's notify protocol (sd_notify(3)): READY=1 once every listener is
// bound, STATUS= with a one-line summary, STOPPING=1 on the way out. Without
// NOTIFY_SOCKET (not started by systemd) every call is a no-op.
internal import CSystemd

public enum SystemdNotifier {
    /// Sends `READY=1` and `STATUS=<status>`.
    public static func ready(status: String) {
        send("READY=1\nSTATUS=\(status)")
    }

    /// Sends `STATUS=<status>` alone.
    public static func status(_ status: String) {
        send("STATUS=\(status)")
    }

    /// Sends `STOPPING=1`.
    public static func stopping() {
        send("STOPPING=1\nSTATUS=Stopping")
    }

    /// Sends `state`, newline-separated assignments, as one datagram.
    public static func send(_ state: String) {
        _ = sd_notify(0, state)
    }
}
