// Ending one watcher while the others go on: what it queued is dropped with its health,
// nothing it pushes or records afterwards is taken, and a read blocked on a silent server
// ends at once instead of after the watch's timeout.
import Testing
@testable import KubeAPI
import LinuxIO
import ServiceConfig
import Glibc

@Suite struct APIWatchStopTests {
    private let bookmark = WatchEvent.bookmark(resourceVersion: "7")

    @Test func aRetiredWatcherLeavesNothingBehindAndAddsNothingLater() throws {
        let queue = try APIEventQueue()
        let pods = try APIWatchStop()
        let services = try APIWatchStop()
        queue.push([.event(.pods, bookmark), .replaceAll(.pods, [])], from: pods)
        queue.push([.event(.services, bookmark)], from: services)
        queue.record(.pods, from: pods) { $0.failure = "silent" }
        queue.record(.services, from: services) { $0.failure = "slow" }

        queue.retire(.pods, stop: pods)
        queue.push([.event(.pods, bookmark)], from: pods)          // read after the stop: late
        queue.record(.pods, from: pods) { $0.failure = "late" }

        let taken = queue.take()
        #expect(taken.count == 1 && taken.allSatisfy { $0.resource == .services })
        #expect(queue.health[APIResource.pods.collectionPath] == nil)
        #expect(queue.health[APIResource.services.collectionPath]?.failure == "slow")
        #expect(pods.isStopped && !services.isStopped)
    }

    @Test func aReadFromASilentServerEndsWhenTheWatcherIsStopped() throws {
        let listener = try FileDescriptor.listener(on: try #require(SocketAddress(ip: "127.0.0.1", port: 0)), reusePort: false)
        let port = try #require(try listener.localAddress()?.port)
        let stop = try APIWatchStop()
        let stream = try PlainStream(server: try #require(APIServerURL("http://127.0.0.1:\(port)")), timeoutMilliseconds: 60_000,
                                     stop: stop)
        stop.stop()     // the server never writes: without the stop, the read would wait 60 s
        var buffer = [UInt8](repeating: 0, count: 64)
        let error = #expect(throws: APIClientError.self) {
            _ = try buffer.withUnsafeMutableBytes { try stream.read(into: $0) }
        }
        #expect(error?.detail.contains(String(cString: strerror(ECANCELED))) == true, "\(String(describing: error))")
        _ = consume listener
    }
}
