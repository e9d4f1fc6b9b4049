// A configuration error in the shape Kubernetes gives them (field.Error): where it is
// (file, line, column), which object, the field path, and what is wrong in words.
// Errors are collected, never thrown one at a time: a user fixes all of them in one go.

/// Where an object or a field was written.
public struct SourceLocation: Hashable, Sendable, CustomStringConvertible {
    public let file: String
    public let line: Int
    public let column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    public var description: String { "\(file):\(line):\(column)" }
}

/// One error, printed as
/// `FILE:LINE:COL: Service "ns/name" is invalid: spec.ports[1].nodePort: Invalid value: 40000: ...`.
public struct ConfigError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What is wrong, with Kubernetes' wording for each kind.
    public enum Reason: Hashable, Sendable {
        /// The value is not allowed; `detail` says what is.
        case invalid(value: String, detail: String)
        /// The field is missing.
        case required(detail: String)
        /// The value is not one of `allowed`.
        case unsupported(value: String, allowed: [String])
        /// The value is already taken by another field or object.
        case duplicate(value: String, detail: String)
        /// The field may not be set here.
        case forbidden(detail: String)
        /// The value is longer than its limit; `detail` says the limit.
        case tooLong(detail: String)
        /// The key is not a field of this kind; `suggestion` is the field most likely meant.
        case unknownField(suggestion: String?)
        /// The file cannot be read or parsed at all.
        case unreadable(detail: String)
    }

    public let location: SourceLocation?
    /// `Service "default/web"`, or nil for errors outside any object.
    public let object: String?
    /// The Kubernetes field path, such as `spec.ports[1].nodePort`; empty for the whole object.
    public let field: String
    public let reason: Reason

    public init(location: SourceLocation?, object: String?, field: String, reason: Reason) {
        self.location = location
        self.object = object
        self.field = field
        self.reason = reason
    }

    public var description: String {
        var text = location.map { "\($0): " } ?? ""
        if let object { text += "\(object) is invalid: " }
        if !field.isEmpty { text += "\(field): " }
        switch reason {
        case .invalid(let value, let detail):
            text += "Invalid value: \(value): \(detail)"
        case .required(let detail):
            text += "Required value" + (detail.isEmpty ? "" : ": \(detail)")
        case .unsupported(let value, let allowed):
            text += "Unsupported value: \(value): supported values: " + allowed.map { "\"\($0)\"" }.joined(separator: ", ")
        case .duplicate(let value, let detail):
            text += "Duplicate value: \(value)" + (detail.isEmpty ? "" : ": \(detail)")
        case .forbidden(let detail):
            text += "Forbidden: \(detail)"
        case .tooLong(let detail):
            text += "Too long: \(detail)"
        case .unknownField(let suggestion):
            text += "Unknown field" + (suggestion.map { ": did you mean \($0)?" } ?? "")
        case .unreadable(let detail):
            text += detail
        }
        return text
    }
}

/// Every error a load or validation found, in file order.
public struct ConfigErrors: Error, Sendable, CustomStringConvertible {
    public let errors: [ConfigError]

    public init(_ errors: [ConfigError]) { self.errors = errors }

    public var description: String { errors.map(\.description).joined(separator: "\n") }
}
