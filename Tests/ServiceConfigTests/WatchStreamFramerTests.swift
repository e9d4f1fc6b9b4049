// Watch events arrive cut anywhere; each is handed out whole, once, and a line is bounded.
import Testing
@testable import ServiceConfig

@Suite struct WatchStreamFramerTests {
    private func text(_ lines: [[UInt8]]) -> [String] { lines.map { String(decoding: $0, as: UTF8.self) } }

    @Test func eventsCutAtEveryByteComeOutWhole() throws {
        let stream = Array("{\"type\":\"ADDED\"}\n{\"type\":\"DELETED\"}\r\n\n{\"type\":\"BOOK".utf8)
        for cut in 0...stream.count {
            var framer = WatchStreamFramer()
            let lines = try framer.feed(stream[..<cut]) + framer.feed(stream[cut...])
            #expect(text(lines) == ["{\"type\":\"ADDED\"}", "{\"type\":\"DELETED\"}"])
            #expect(framer.pendingCount == "{\"type\":\"BOOK".utf8.count)
            let droppedPartial = framer.finish()
            let droppedAgain = framer.finish()
            #expect(droppedPartial && !droppedAgain)
        }
    }

    @Test func aLineLongerThanTheLimitFailsTheStream() throws {
        var framer = WatchStreamFramer(lineLimit: 8)
        #expect(text(try framer.feed(Array("12345678\n".utf8))) == ["12345678"])
        #expect(failure(&framer, "123456789") == .lineTooLong(limit: 8))
        var split = WatchStreamFramer(lineLimit: 8)
        #expect(failure(&split, "12345") == nil)
        #expect(failure(&split, "6789\n") == .lineTooLong(limit: 8))
    }

    private func failure(_ framer: inout WatchStreamFramer, _ bytes: String) -> WatchStreamFramer.Failure? {
        do {
            _ = try framer.feed(Array(bytes.utf8))
            return nil
        } catch {
            return error
        }
    }
}
