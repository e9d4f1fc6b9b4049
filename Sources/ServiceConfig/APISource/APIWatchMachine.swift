// The list-and-watch protocol of one resource, as the Kubernetes API conventions describe it
// and client-go's reflector follows it, as a pure step: (state, event) → actions, with no
// socket, clock or randomness of its own, so that every path is table-tested.
//
//   list (limit, continue) ── last page ──► replace the kind's objects ──► watch from the
//   list's resourceVersion (allowWatchBookmarks, timeoutSeconds) ── each event ──► apply,
//   and remember its version ── watch ends ──► watch again from the last version (no list)
//   410 Gone (a status or an ERROR event) ──► list again; any other failure ──► back off
//   (exponential, with jitter: APIBackoff) and retry what failed.

public struct APIWatchMachine: Sendable {
    public enum State: Sendable, Equatable {
        /// Pages of a list are being read; the token of the next one.
        case listing(continueToken: String?)
        /// A watch runs from `resourceVersion` (the last event, bookmark or list seen).
        case watching(resourceVersion: String)
        /// Waiting out a backoff before retrying the list (nil) or a watch from a version.
        case backingOff(resumeFrom: String?)
    }

    public enum Event: Sendable {
        case listPage(APIListPage)
        case watchEvent(WatchEvent)
        /// The watch's response ended whole (the server's timeoutSeconds) or was cut.
        case watchEnded
        /// A request failed: the connection, TLS, or an HTTP status (`status`, e.g. 410).
        case failed(status: Int?, detail: String)
        /// The backoff is over.
        case backoffElapsed
    }

    public enum Action: Sendable {
        /// GET this path and query (the API server's path prefix not included).
        case get(String)
        /// A complete list: these are all the kind's objects.
        case replaceAll([APIObject])
        /// An event to apply to the store.
        case apply(WatchEvent)
        /// Wait APIBackoff.delay(attempt:) and send `.backoffElapsed`.
        case backOff(attempt: Int)
    }

    public let resource: APIResource
    /// Items per list page (`limit`).
    public let pageSize: Int
    /// How long the server keeps a watch open (`timeoutSeconds`), before it is renewed.
    public let watchTimeoutSeconds: Int
    public private(set) var state = State.listing(continueToken: nil)
    /// Failures in a row, for the backoff; reset by any success.
    public private(set) var failures = 0
    /// Lists made after the first (a 410), and watches started again: for /metrics.
    public private(set) var relists = 0
    public private(set) var watchRestarts = 0
    /// A complete list has been read once: the kind's objects are known.
    public private(set) var synced = false
    private var items: [APIObject] = []

    public init(resource: APIResource, pageSize: Int = 500, watchTimeoutSeconds: Int = 300) {
        self.resource = resource
        self.pageSize = pageSize
        self.watchTimeoutSeconds = watchTimeoutSeconds
    }

    /// The first request.
    public func start() -> [Action] { [.get(listPath(continueToken: nil))] }

    public mutating func handle(_ event: Event) -> [Action] {
        switch (state, event) {
        case (.listing, .listPage(let page)):
            failures = 0
            items += page.items
            if let token = page.continueToken {
                state = .listing(continueToken: token)
                return [.get(listPath(continueToken: token))]
            }
            let listed = items
            items = []
            synced = true
            return [.replaceAll(listed)] + watch(from: page.resourceVersion)
        case (.watching(let version), .watchEvent(let watchEvent)):
            failures = 0
            switch watchEvent {
            case .changed(_, let object):
                state = .watching(resourceVersion: object.resourceVersion.isEmpty ? version : object.resourceVersion)
                return [.apply(watchEvent)]
            case .deleted(_, let newVersion):
                state = .watching(resourceVersion: newVersion.isEmpty ? version : newVersion)
                return [.apply(watchEvent)]
            case .bookmark(let newVersion):
                state = .watching(resourceVersion: newVersion.isEmpty ? version : newVersion)
                return []
            case .error(let code, _, let message):
                return handle(.failed(status: code, detail: message))
            }
        case (.watching(let version), .watchEnded):
            watchRestarts += 1
            return watch(from: version)
        case (_, .failed(status: 410, _)):
            return relist()
        case (.listing, .failed), (.watching, .failed):
            failures += 1
            if case .watching(let version) = state {
                state = .backingOff(resumeFrom: version)
            } else {
                items = []
                state = .backingOff(resumeFrom: nil)
            }
            return [.backOff(attempt: failures)]
        case (.backingOff(let version), .backoffElapsed):
            if let version {
                watchRestarts += 1
                return watch(from: version)
            }
            state = .listing(continueToken: nil)
            return [.get(listPath(continueToken: nil))]
        case (.listing, .watchEvent), (.listing, .watchEnded), (.listing, .backoffElapsed),
             (.watching, .listPage), (.watching, .backoffElapsed),
             (.backingOff, .listPage), (.backingOff, .watchEvent), (.backingOff, .watchEnded), (.backingOff, .failed):
            return []  // a late answer to a request already given up: nothing to do
        }
    }

    private mutating func relist() -> [Action] {
        relists += 1
        items = []
        state = .listing(continueToken: nil)
        return [.get(listPath(continueToken: nil))]
    }

    private mutating func watch(from version: String) -> [Action] {
        state = .watching(resourceVersion: version)
        return [.get("\(resource.collectionPath)?watch=1&allowWatchBookmarks=true&resourceVersion=\(Self.escaped(version))"
            + "&timeoutSeconds=\(watchTimeoutSeconds)" + selector)]
    }

    private func listPath(continueToken: String?) -> String {
        "\(resource.collectionPath)?limit=\(pageSize)" + (continueToken.map { "&continue=\(Self.escaped($0))" } ?? "") + selector
    }

    private var selector: String { resource.fieldSelector.map { "&fieldSelector=\(Self.escaped($0))" } ?? "" }

    /// A query value percent-encoded: continue tokens are base64 (`+`, `/`, `=`).
    static func escaped(_ value: String) -> String {
        var text = ""
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                text.unicodeScalars.append(UnicodeScalar(byte))
            default:
                text += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return text
    }
}

/// client-go's reflector backoff: 800 ms doubling to 30 s, each delay stretched by up to
/// its own length at random, so that the nodes of a cluster do not retry in step.
public enum APIBackoff {
    public static let initialNanoseconds: UInt64 = 800_000_000
    public static let maximumNanoseconds: UInt64 = 30_000_000_000

    /// The delay before retry `attempt` (1 for the first), `random` in [0, 1).
    public static func delay(attempt: Int, random: Double) -> UInt64 {
        let doublings = UInt64(min(max(attempt - 1, 0), 16))
        let base = min(initialNanoseconds << doublings, maximumNanoseconds)
        return base + UInt64(Double(base) * min(max(random, 0), 1))
    }
}

private extension String {
    func leftPadded(to width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
