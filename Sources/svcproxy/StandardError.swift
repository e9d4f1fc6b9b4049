// Messages for the person at the terminal (and the text log's lines), written whole to
// stderr: a pipe may take a write in parts, and a signal may interrupt one.
import Glibc

enum StandardError {
    static func write(_ text: String) {
        write(bytes: Array(text.utf8))
    }

    static func write(bytes: [UInt8]) {
        bytes.withUnsafeBytes { buffer in
            guard let base = buffer.baseAddress else { return }
            var written = 0
            while written < buffer.count {
                let count = Glibc.write(2, base + written, buffer.count - written)
                if count > 0 {
                    written += count
                } else if count < 0, errno == EINTR {
                    continue
                } else {
                    return  // stderr closed or failing: nowhere left to say so
                }
            }
        }
    }
}
