// Whether this kernel can take over TLS records (kernel TLS, the `tls` upper-layer
// protocol): OpenSSL then encrypts and decrypts in the kernel after the handshake, and a
// connection's `kernelTLS` says so. Where the kernel lacks it, OpenSSL silently does the
// work in user space; this probe exists so logs and metrics can say which one a node gets.
import CTLSShim
import Glibc

/// Whether the kernel here can take TLS records (the `tls` ULP), for logs and metrics.
public enum KernelTLS {
    /// Probed once (a loopback TCP connection and `setsockopt(TCP_ULP, "tls")`).
    public static var available: Bool { probe == 0 }

    /// Why not, in strerror(3) words (`No such file or directory`: no `tls` module); nil
    /// when available.
    public static var unavailableReason: String? {
        probe == 0 ? nil : String(cString: strerror(probe))
    }

    /// 0, or the errno of the probe. A `let` global is initialised once, thread-safely.
    private static let probe: Int32 = svcproxy_tls_probe_kernel_tls()
}
