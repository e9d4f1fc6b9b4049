// Cuts a YAML file into its documents by their `---` lines, before any parsing, so that
// each document can be composed (and its objects cached) on its own: a reload that
// changes one document of a large file parses that document alone. A line that starts
// with `---` followed by a blank or the end of the line is a document marker wherever it
// appears (YAML 1.2, 9.1.2; inside a scalar libyaml rejects it), so cutting there
// changes no document's meaning. A file with directives (`%YAML`, `%TAG`, which belong
// to the document after them) is not cut.
import Foundation

/// One document's text and the file line it starts on.
struct DocumentText: Sendable {
    let firstLine: Int
    let text: Substring
}

enum DocumentSplitter {
    static func split(_ text: String) -> [DocumentText] {
        var text = text
        text.makeContiguousUTF8()
        let cuts = text.utf8.withContiguousStorageIfAvailable(cuts) ?? nil
        guard let cuts else { return [DocumentText(firstLine: 1, text: Substring(text))] }
        let utf8 = text.utf8
        var documents: [DocumentText] = []
        for (index, cut) in cuts.enumerated() {
            let end = index + 1 < cuts.count ? cuts[index + 1].offset : utf8.count
            let range = utf8.index(utf8.startIndex, offsetBy: cut.offset)..<utf8.index(utf8.startIndex, offsetBy: end)
            documents.append(DocumentText(firstLine: cut.line, text: text[range]))
        }
        return documents
    }

    /// Where each document starts (a byte offset) and its line; nil when the file has
    /// directives. Lines are found with memchr: this runs over every byte of a changed file.
    private static func cuts(_ bytes: UnsafeBufferPointer<UInt8>) -> [(offset: Int, line: Int)]? {
        var cuts = [(offset: 0, line: 1)]
        guard let base = bytes.baseAddress else { return cuts }
        var lineStart = 0
        var line = 1
        while lineStart < bytes.count {
            if bytes[lineStart] == UInt8(ascii: "%") { return nil }
            if lineStart != 0, isDocumentMarker(bytes, at: lineStart) { cuts.append((lineStart, line)) }
            guard let newline = memchr(base + lineStart, Int32(UInt8(ascii: "\n")), bytes.count - lineStart) else { break }
            lineStart = UnsafeRawPointer(newline).assumingMemoryBound(to: UInt8.self) - base + 1
            line += 1
        }
        return cuts
    }

    /// `---` then a space, a tab, a line break or the end.
    private static func isDocumentMarker(_ bytes: UnsafeBufferPointer<UInt8>, at index: Int) -> Bool {
        guard index + 3 <= bytes.count, bytes[index] == UInt8(ascii: "-"), bytes[index + 1] == UInt8(ascii: "-"),
              bytes[index + 2] == UInt8(ascii: "-") else { return false }
        guard index + 3 < bytes.count else { return true }
        return [UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r")].contains(bytes[index + 3])
    }
}
