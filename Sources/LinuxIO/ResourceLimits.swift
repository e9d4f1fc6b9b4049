// The process's descriptor limit: read at start so the daemon can say how many
// connections it can hold, and raised to the hard limit because every relayed
// connection costs two descriptors.
internal import CLinux

public enum ResourceLimits {
    /// Raises the soft `RLIMIT_NOFILE` to the hard limit and returns the new soft limit.
    public static func raiseOpenFilesToHardLimit() -> UInt64 {
        var limit = rlimit()
        guard getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 0 }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &raised) == 0 { return UInt64(raised.rlim_max) }
        }
        return UInt64(limit.rlim_cur)
    }

    /// How many CPUs this process may run on.
    public static func availableProcessors() -> Int {
        Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
    }

}
