import ArgumentParser

struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "version", abstract: "Print the version and exit.")

    func run() {
        print("svcproxy \(SvcProxyVersion.current)")
    }
}
