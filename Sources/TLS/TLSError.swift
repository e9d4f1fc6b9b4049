// Why a TLS call failed, in OpenSSL's words or the kernel's. OpenSSL keeps its errors on a
// per-thread queue; a stale entry left by an earlier call would be blamed on the next one,
// so every call here starts by clearing the queue and reads it only when the call failed.
// Only the reason strings are read, never the queue's "data" strings: nothing of a
// certificate's or key's contents can reach a message.
import COpenSSL
import CTLSShim
import Glibc

/// A TLS call that failed: its reason as OpenSSL or the kernel gives it, never key material.
public struct TLSError: Error, Sendable, CustomStringConvertible {
    /// `error:0A000102:SSL routines::unsupported protocol`, `Connection reset by peer`, or
    /// our own words.
    public let message: String
    /// The errno when the socket itself failed (`SSL_ERROR_SYSCALL`).
    public let systemError: Int32?

    /// OpenSSL's reasons alone (`ee key too small`), for diagnostics that are words only.
    let reasons: String

    init(_ message: String, systemError: Int32? = nil, reasons: String? = nil) {
        self.message = message
        self.systemError = systemError
        self.reasons = reasons ?? message
    }

    /// The socket's failure, as strerror(3) words.
    init(systemError number: Int32) {
        self.init(String(cString: strerror(number)), systemError: number)
    }

    /// What `OpenSSLErrors.take()` took, or `fallback` when OpenSSL queued nothing.
    init(_ errors: [OpenSSLErrors.Entry], fallback: String) {
        self.init(errors.isEmpty ? fallback : errors.map(\.text).joined(separator: "; "),
                  reasons: errors.isEmpty ? fallback : OpenSSLErrors.reasons(errors))
    }

    public var description: String { message }
}

/// The calling thread's OpenSSL error queue.
enum OpenSSLErrors {
    /// One queued error: its code and `ERR_error_string_n` text.
    struct Entry {
        let code: UInt
        var reason: Int32 { svcproxy_tls_error_reason(code) }
        var library: Int32 { svcproxy_tls_error_library(code) }

        /// `error:0A000102:SSL routines::unsupported protocol`.
        var text: String {
            withUnsafeTemporaryAllocation(of: CChar.self, capacity: 256) { buffer in
                guard let base = buffer.baseAddress else { return "error \(code)" }
                ERR_error_string_n(code, base, buffer.count)
                return String(cString: base)
            }
        }

        /// Just the reason (`unsupported protocol`), for diagnostics that are words only.
        var reasonText: String {
            guard let reason = ERR_reason_error_string(code) else { return "error \(code)" }
            return String(cString: reason)
        }
    }

    /// Empties the queue before a call whose failure is then read with `take()`.
    /// Before each call: an error queued by an earlier call, or a stale errno (an EAGAIN
    /// read with SSL_ERROR_SYSCALL), must not be taken for this call's.
    static func clear() {
        ERR_clear_error()
        errno = 0
    }

    /// Takes every queued error, oldest (usually the root cause) first.
    static func take() -> [Entry] {
        var entries: [Entry] = []
        var code = ERR_get_error()
        while code != 0 {
            entries.append(Entry(code: code))
            code = ERR_get_error()
        }
        return entries
    }

    /// The reasons of `take()`, as words for a diagnostic, without repeats.
    static func reasons(_ entries: [Entry]) -> String {
        var seen: [String] = []
        for entry in entries where !seen.contains(entry.reasonText) { seen.append(entry.reasonText) }
        return seen.joined(separator: "; ")
    }
}
