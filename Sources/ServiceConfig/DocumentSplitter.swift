// Cuts a YAML file into its documents by their `---` lines, before any parsing, so that
// each document can be composed (and its objects cached) on its own: a reload that
// changes one document of a large file parses that document alone. A line that starts
// with `---` followed by a blank or the end of the line is a document marker wherever it
// appears (YAML 1.2, 9.1.2; inside a scalar libyaml rejects it), so cutting there
// changes no document's meaning. A file with directives (`%YAML`, `%TAG`, which belong
// to the document after them) is not cut.

/// One document's text and the file line it starts on.
struct DocumentText {
    let firstLine: Int
    let text: Substring
}

enum DocumentSplitter {
    static func split(_ text: String) -> [DocumentText] {
        var documents: [DocumentText] = []
        var start = text.utf8.startIndex
        var startLine = 1
        var line = 1
        var lineStart = start
        let utf8 = text.utf8
        while lineStart < utf8.endIndex {
            if utf8[lineStart] == UInt8(ascii: "%") { return [DocumentText(firstLine: 1, text: Substring(text))] }
            if lineStart != start, isDocumentMarker(utf8, at: lineStart) {
                documents.append(DocumentText(firstLine: startLine, text: text[start..<lineStart]))
                start = lineStart
                startLine = line
            }
            guard let newline = utf8[lineStart...].firstIndex(of: UInt8(ascii: "\n")) else { break }
            lineStart = utf8.index(after: newline)
            line += 1
        }
        documents.append(DocumentText(firstLine: startLine, text: text[start...]))
        return documents
    }

    /// `---` then a space, a tab, a line break or the end.
    private static func isDocumentMarker(_ utf8: String.UTF8View, at index: String.Index) -> Bool {
        var place = index
        for _ in 0..<3 {
            guard place < utf8.endIndex, utf8[place] == UInt8(ascii: "-") else { return false }
            place = utf8.index(after: place)
        }
        guard place < utf8.endIndex else { return true }
        return [UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r")].contains(utf8[place])
    }
}
