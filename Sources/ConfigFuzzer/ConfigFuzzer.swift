// The loader's fuzz target: any bytes, read as a configuration file, must give a plan or
// errors, never a crash or a hang. Built only with SVCPROXY_FUZZ=1 and
// `-sanitize=fuzzer` (scripts/fuzz-config); main.swift hands control to libFuzzer.
import ServiceConfig

private let settings: NodeSettings = {
    var settings = NodeSettings(nodeAddresses: [IPAddress("127.0.0.1"), IPAddress("::1")].compactMap { $0 })
    settings.nodePortRange = 30000...30015  // small, so that allocation collides and probes
    return settings
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzConfigLoader(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    let (objects, errors) = ConfigLoader.load(text: text, file: "fuzz.yaml")
    switch Configuration.plan(objects: objects, settings: settings, loadErrors: errors) {
    case .success(let loaded): _ = loaded.plan.printed
    case .failure(let errors): _ = errors.description
    }
    return 0
}
