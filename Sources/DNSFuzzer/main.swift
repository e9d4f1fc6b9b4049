// libFuzzer's driver runs the loop: SwiftPM gives every executable its own `main`, so the
// target calls the driver rather than relying on libFuzzer's `main`.
import CLibFuzzer
import Glibc

var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in
    guard let data else { return 0 }
    return fuzzDNS(data, size)
})
