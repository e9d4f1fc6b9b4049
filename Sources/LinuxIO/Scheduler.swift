// Giving the CPU away without going to sleep.
import Glibc

public enum Scheduler {
    /// Puts the calling thread behind whatever else is waiting for its CPU, which may run
    /// first; returns at once when nothing is waiting. The thread stays runnable: nothing
    /// has to wake it.
    ///
    /// The corresponding C function is `sched_yield`.
    public static func yieldProcessor() {
        _ = sched_yield()  // Linux's always succeeds
    }
}
