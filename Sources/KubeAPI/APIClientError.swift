// Why a request to the API server failed, in words for the log, with the HTTP status when
// the server answered (410 asks the watch machine for a new list).

public struct APIClientError: Error, Sendable, CustomStringConvertible {
    public let status: Int?
    public let detail: String

    public init(status: Int? = nil, _ detail: String) {
        self.status = status
        self.detail = detail
    }

    public var description: String { detail }
}
