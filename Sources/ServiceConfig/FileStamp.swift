// What says that a file is the one read last time without reading it: its device, inode,
// size, and modification and change times to the nanosecond. A reload of a large file
// that did not change then costs one stat(2) instead of reading and comparing its text.
// The change time (ctime) is set by the kernel on every write and cannot be set back by a
// user (utimensat(2) sets only atime and mtime), so a file rewritten with its mtime
// restored still reads as changed. The kernel stamps files from its coarse clock
// (CLOCK_REALTIME_COARSE, one tick of up to 10 ms), so a write in the same tick as our
// read could leave the stamp as it was: as git does with its "racily clean" entries, a
// stamp is trusted only when the coarse clock had passed the file's times when it was
// read (any later write then stamps a later time); until then the file is read and
// compared again. This is the one place ServiceConfig reads the clock, only to judge stamps.
import Foundation

struct FileStamp: Equatable, Sendable {
    let device: UInt64
    let inode: UInt64
    let size: Int64
    let modified: timespec
    let changed: timespec

    /// The stamp of `path` (following links, as reading it does), or nil when it cannot be
    /// stat'ed. The corresponding C function is `stat`.
    init?(path: String) {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
        size = Int64(info.st_size)
        modified = info.st_mtim
        changed = info.st_ctim
    }

    /// Whether a file with this stamp, taken just before reading it at `readAt`, had been
    /// written for long enough that a later write must change the stamp.
    func isSettled(readAt: timespec) -> Bool {
        max(Self.nanoseconds(modified), Self.nanoseconds(changed)) < Self.nanoseconds(readAt)
    }

    /// The coarse wall clock, which file stamps are taken from (current_time() in the
    /// kernel). The corresponding C function is `clock_gettime`.
    static func now() -> timespec {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME_COARSE, &now)
        return now
    }

    private static func nanoseconds(_ time: timespec) -> Int64 { Int64(time.tv_sec) * 1_000_000_000 + Int64(time.tv_nsec) }

    static func == (lhs: FileStamp, rhs: FileStamp) -> Bool {
        lhs.device == rhs.device && lhs.inode == rhs.inode && lhs.size == rhs.size
            && lhs.modified.tv_sec == rhs.modified.tv_sec && lhs.modified.tv_nsec == rhs.modified.tv_nsec
            && lhs.changed.tv_sec == rhs.changed.tv_sec && lhs.changed.tv_nsec == rhs.changed.tv_nsec
    }
}
