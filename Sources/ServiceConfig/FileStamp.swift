// What says that a file is the one read last time without reading it: its device, inode,
// size, and modification and change times to the nanosecond. A reload of a large file
// that did not change then costs one stat(2) instead of reading and comparing its text.
// The change time (ctime) is set by the kernel on every write and cannot be set back by a
// user (utimensat(2) sets only atime and mtime), so a file rewritten in place with the
// same size within one mtime tick, or with its mtime restored, still reads as changed.
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

    static func == (lhs: FileStamp, rhs: FileStamp) -> Bool {
        lhs.device == rhs.device && lhs.inode == rhs.inode && lhs.size == rhs.size
            && lhs.modified.tv_sec == rhs.modified.tv_sec && lhs.modified.tv_nsec == rhs.modified.tv_nsec
            && lhs.changed.tv_sec == rhs.changed.tv_sec && lhs.changed.tv_nsec == rhs.changed.tv_nsec
    }
}
