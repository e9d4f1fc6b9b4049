// svcproxy: the command line. `run` serves, `check` validates, `version` says which build.
import ArgumentParser

struct SvcProxy: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "svcproxy",
        abstract: "A userspace TCP proxy for Kubernetes-style Services on one Linux node.",
        discussion: """
            svcproxy reads Service and Endpoints objects from YAML files, listens on each \
            service's ClusterIP and NodePorts, and forwards every connection round-robin to \
            the service's ready endpoints.

            Exit status: 0 success, 64 bad usage, 78 invalid configuration.
            """,
        version: SvcProxyVersion.current,
        subcommands: [RunCommand.self, CheckCommand.self, StatusCommand.self, VersionCommand.self]
    )
}

SvcProxy.main()
