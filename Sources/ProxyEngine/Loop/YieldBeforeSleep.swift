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
// The rounds are earned. With nothing else waiting for the CPU a yield returns at once
// and looking again is pure cost: a round that finds events doubles the next allowance, a
// fruitless one halves it, and once none is left only a sleep that ended with events
// within `shortSleep` earns one round back, so that an idle or lightly loaded worker
// sleeps as before.
struct YieldBeforeSleep {
    /// The most rounds (a yield and a look) before sleeping; 0 never yields.
    let maximum: Int
    /// The rounds the next wait may make before it sleeps.
    private(set) var rounds = 0

    /// A sleep shorter than this that ended with events says events come close together:
    /// a round would likely have found them without the sleep and the wakeup.
    static let shortSleep: UInt64 = 20_000

    /// At most 64 rounds: past that a yielding worker would be busy-polling.
    static let maximumRounds = 64
    static let defaultRounds = 0

    init(maximum: Int) {
        self.maximum = min(max(0, maximum), Self.maximumRounds)
    }

    /// The rounds made before a sleep found events, or did not.
    mutating func yielded(found: Bool) {
        rounds = found ? min(maximum, rounds * 2) : rounds / 2
    }

    /// A wait from `start` to `end` slept and ended with events, or without (its timeout).
    mutating func slept(start: UInt64, end: UInt64, found: Bool) {
        if rounds == 0 && found && end &- start < Self.shortSleep { rounds = min(1, maximum) }
    }
}
