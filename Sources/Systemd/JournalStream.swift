// Is stderr the journal? systemd sets JOURNAL_STREAM to "DEVICE:INODE" of the stream it
// connected to stderr; comparing it with fstat(2) of stderr tells a service that logs to
// the journal from a child whose stderr was redirected elsewhere (systemd.exec(5)).
internal import CSystemd
import Glibc

public enum JournalStream {
    public static func isStandardErrorJournal() -> Bool {
        guard let value = getenv("JOURNAL_STREAM").map({ String(cString: $0) }) else { return false }
        let parts = value.split(separator: ":")
        guard parts.count == 2, let device = UInt64(parts[0]), let inode = UInt64(parts[1]) else { return false }
        var status = stat()
        guard fstat(2, &status) == 0 else { return false }
        return UInt64(status.st_dev) == device && UInt64(status.st_ino) == inode
    }
}
