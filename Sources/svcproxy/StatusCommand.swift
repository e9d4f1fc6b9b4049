// `svcproxy status`: asks the running daemon over its unix socket what it serves now,
// and prints a table (or the JSON, for scripts).
import Admin
import ArgumentParser
import Foundation
import LinuxIO

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show what the running daemon serves: services, listen addresses, endpoints, connections, last reload."
    )

    enum Output: String, ExpressibleByArgument, CaseIterable {
        case text
        case json
    }

    @Option(help: ArgumentHelp("The daemon's status socket.", valueName: "path"))
    var socket: String = "/run/svcproxy/status.sock"

    @Option(help: ArgumentHelp("text (a table) or json.", valueName: "format"))
    var output: Output = .text

    func run() throws {
        let answer: [UInt8]
        do {
            answer = try Self.ask(socket)
        } catch .permissionDenied {
            StandardError.write("svcproxy status: \(socket): Permission denied: the socket belongs to the daemon's user; run as root or as that user\n")
            throw ExitCode(77)  // EX_NOPERM
        } catch {
            StandardError.write("svcproxy status: cannot reach the daemon at \(socket): \(error); is it running?\n")
            throw ExitCode(69)  // EX_UNAVAILABLE
        }
        switch output {
        case .json:
            print(String(decoding: answer, as: UTF8.self), terminator: "")
        case .text:
            guard let report = try? JSONDecoder().decode(StatusReport.self, from: Data(answer)) else {
                StandardError.write("svcproxy status: the daemon's answer was not understood\n")
                throw ExitCode(70)  // EX_SOFTWARE
            }
            print(report.table(), terminator: "")
        }
    }

    /// Connects and reads the daemon's report to end of stream.
    static func ask(_ path: String) throws(Errno) -> [UInt8] {
        let connection = try FileDescriptor.unixConnection(path: path)
        var answer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        while answer.count < 64 * 1024 * 1024 {
            var result: IOResult<Int> = .done(0)
            var failure: Errno?
            chunk.withUnsafeMutableBytes { bytes in
                guard let base = bytes.baseAddress else { return }
                do throws(Errno) { result = try connection.read(into: base, count: bytes.count) } catch { failure = error }
            }
            if let failure { throw failure }
            guard case .done(let count) = result, count > 0 else { break }
            answer += chunk[..<count]
        }
        return answer
    }
}
