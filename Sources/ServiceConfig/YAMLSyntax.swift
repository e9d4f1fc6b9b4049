// Turns libyaml's errors into one line a person can act on: file, line, column, and what
// is wrong in words, with the usual cause (a tab in the indentation) named outright.

enum YAMLSyntax {
    static func describe(_ error: YAMLComposeError, file: String, text: String) -> ConfigError {
        let problem = error.stage == .duplicateKeys ? "duplicate key " + error.problem : error.problem
        var line = error.line
        var column = error.column
        var detail = "YAML syntax error: \(problem)"
        if let context = error.context { detail += " (\(context.text) at line \(context.line), column \(context.column))" }
        if let tabLine = tabIndentedLine(text: text, near: line) {
            line = tabLine
            column = 1
            detail = "YAML syntax error: line \(tabLine) is indented with a tab character, and YAML allows only spaces "
                + "for indentation: replace each tab with spaces (libyaml: \(problem))"
        }
        return ConfigError(location: SourceLocation(file: file, line: line, column: column), object: nil, field: "",
                           reason: .unreadable(detail: detail))
    }

    static func hasTabIndentation(text: String, near line: Int) -> Bool { tabIndentedLine(text: text, near: line) != nil }

    /// The line (1-based) near `line` that indents with a tab: the line itself, or the
    /// one before, where libyaml often stops.
    static func tabIndentedLine(text: String, near line: Int) -> Int? {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        return [line - 1, line - 2].first { index in
            index >= 0 && index < lines.count && lines[index].prefix { $0 == " " || $0 == "\t" }.contains("\t")
        }.map { $0 + 1 }
    }
}
