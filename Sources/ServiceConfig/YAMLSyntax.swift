// Turns libyaml's errors into one line a person can act on: file, line, column, and what
// is wrong in words, with the usual cause (a tab in the indentation) named outright.
import Yams

enum YAMLSyntax {
    static func describe(_ error: Error, file: String, text: String) -> ConfigError {
        guard let yamlError = error as? YamlError else {
            return ConfigError(location: SourceLocation(file: file, line: 1, column: 1), object: nil, field: "",
                               reason: .unreadable(detail: "YAML error: \(error)"))
        }
        let (problem, mark, context): (String, Mark?, YamlError.Context?) = switch yamlError {
        case .scanner(let context, let problem, let mark, _): (problem, mark, context)
        case .parser(let context, let problem, let mark, _): (problem, mark, context)
        case .composer(let context, let problem, let mark, _): (problem, mark, context)
        case .duplicatedKeysInMapping(let duplicates, let context):
            ("duplicate key " + duplicates.map { "\"\($0)\"" }.joined(separator: ", "), context.mark, nil)
        default: ("\(yamlError)", nil, nil)
        }
        var line = mark?.line ?? 1
        var column = mark?.column ?? 1
        var detail = "YAML syntax error: \(problem)"
        if let context { detail += " (\(context.text) at line \(context.mark.line), column \(context.mark.column))" }
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
