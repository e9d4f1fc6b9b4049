// A mutex with a condition variable whose timed waits run on CLOCK_MONOTONIC: the log
// pipeline's writer sleeps on it while the queue is empty, and the stopping thread waits on
// it, with a deadline, for the queue to drain. Synchronization's Mutex has no condition
// variable, and a wall-clock deadline would stretch or shrink when the clock is set.
import Glibc

final class ConditionLock: @unchecked Sendable {
    // @unchecked: the pthread objects live at fixed addresses and are only used through
    // pthread calls, which are thread-safe by definition.
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    init() {
        pthread_mutex_init(mutex, nil)
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        pthread_cond_init(condition, &attributes)
        pthread_condattr_destroy(&attributes)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    /// Runs `body` holding the lock.
    func withLock<T>(_ body: () throws -> T) rethrows -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }

    /// Wakes every waiter; call with the lock held, after changing what they wait for.
    func broadcast() {
        pthread_cond_broadcast(condition)
    }

    /// Waits, the lock held, until woken or until `deadline` (CLOCK_MONOTONIC nanoseconds;
    /// nil: no deadline). Wake-ups may be spurious: callers re-check their condition.
    func wait(until deadline: UInt64? = nil) {
        guard let deadline else {
            pthread_cond_wait(condition, mutex)
            return
        }
        var time = timespec(tv_sec: Int(deadline / 1_000_000_000), tv_nsec: Int(deadline % 1_000_000_000))
        _ = pthread_cond_timedwait(condition, mutex, &time)
    }
}
