// The process_* figures every Prometheus exporter reports, read as an operator would:
// getrusage(2) for CPU time, /proc/self for memory and descriptors.
import Foundation
import Glibc

/// The process's CPU time, memory and descriptors, from /proc and getrusage(2).
struct ProcessFigures {
    var cpuSeconds: Double = 0
    var residentBytes = 0
    var openDescriptors = 0
    var maxDescriptors = 0

    static func read() -> ProcessFigures {
        var figures = ProcessFigures()
        var usage = rusage()
        if getrusage(RUSAGE_SELF.rawValue, &usage) == 0 {
            figures.cpuSeconds = Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
                + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
        }
        if let statm = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) {
            let fields = statm.split(separator: " ")
            if fields.count > 1, let pages = Int(fields[1]) { figures.residentBytes = pages * Int(sysconf(Int32(_SC_PAGESIZE))) }
        }
        figures.openDescriptors = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd"))?.count ?? 1) - 1
        var limit = rlimit()
        if getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0 { figures.maxDescriptors = Int(limit.rlim_cur) }
        return figures
    }
}
