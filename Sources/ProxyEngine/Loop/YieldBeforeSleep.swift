// Whether a worker that has just run out of events yields its CPU and looks again, instead
// of sleeping in epoll_wait(2) (`--yield-before-sleep`; off unless asked for).
//
// On a node whose few CPUs the proxy shares with its own clients and endpoints, a worker
// that sleeps after every short burst has to be woken for the next one: the sender's
// kernel path finds the sleeper and wakes it, often on another CPU with an
// inter-processor interrupt (a VM exit or two on a virtual machine), and a CPU may go idle
// meanwhile. Yielding hands the CPU straight to whatever waits for it, often the process
// whose answer the worker is waiting for, and the worker, still runnable, finds that
// answer when it runs again, with no wakeup. Beside a CPU-bound process the same yield
// gives away the worker's share of the CPU for that process's time slice, where a
// wakeup would have brought the worker back at once: the README's measurements show both,
// which is why the operator chooses.
//
// A worker first looks whether events are already waiting, and yields only when none are.
// The rounds are earned: with nothing else waiting for the CPU a yield returns at once and
// looking again is pure cost. A wait whose rounds end with a look that found events
// doubles the allowance, one whose rounds all found none halves it, and once none is left
// only a wait in epoll_wait that ended with events within `shortSleepNanoseconds` earns a
// first round back, so that an idle worker sleeps as before (a lightly loaded one pays for
// the rounds that some lucky finds keep allowed: about a tenth more CPU per request for one
// connection at a time, README).
struct YieldBeforeSleep {
    /// The most rounds (a yield and a look) before sleeping; 0 never yields.
    let maximum: Int
    /// The rounds the next wait may make before it sleeps.
    private(set) var rounds = 0

    /// 20 µs. A sleep shorter than this that ended with events says events come close
    /// together: a round would likely have found them without the sleep and the wakeup.
    /// (A wait that found events already waiting counts too; it earns a round that the
    /// first look of the next wait makes moot if the worker stays that busy.)
    static let shortSleepNanoseconds: UInt64 = 20_000

    /// At most 64 rounds: past that a yielding worker would be busy-polling.
    static let maximumRounds = 64
    static let defaultRounds = 0

    init(maximum: Int) {
        self.maximum = min(max(0, maximum), Self.maximumRounds)
    }

    /// What looking before sleeping came to.
    struct Outcome: Equatable {
        /// The events the last look found; 0: the worker is to sleep.
        var events = 0
        /// Yields made, by what the look after each found: events (the last, if any) or none.
        var yieldsFoundEvents = 0
        var yieldsFoundNone = 0
    }

    /// Looks for events once and, if none are waiting, yields and looks again, round after
    /// round, until a look finds events, the rounds run out or `timerDue` says a deadline
    /// has come (a timer must not wait for others' time slices). Nothing at all when no
    /// round is allowed: the worker goes straight to its wait.
    mutating func lookBeforeSleeping<Failure: Error>(look: () throws(Failure) -> Int, yield: () -> Void,
                                                     timerDue: () -> Bool) throws(Failure) -> Outcome {
        var outcome = Outcome()
        guard rounds > 0, !timerDue() else { return outcome }
        outcome.events = try look()
        guard outcome.events == 0 else { return outcome }
        for _ in 0..<rounds {
            if timerDue() { break }
            yield()
            outcome.events = try look()
            if outcome.events > 0 {
                outcome.yieldsFoundEvents = 1
                rounds = min(maximum, rounds * 2)
                return outcome
            }
            outcome.yieldsFoundNone += 1
        }
        if outcome.yieldsFoundNone > 0 { rounds /= 2 }
        return outcome
    }

    /// A wait in epoll_wait from `start` to `end` (nanoseconds) ended with events, or
    /// without (its timeout).
    mutating func slept(start: UInt64, end: UInt64, found: Bool) {
        if rounds == 0 && found && end &- start < Self.shortSleepNanoseconds { rounds = min(1, maximum) }
    }
}
