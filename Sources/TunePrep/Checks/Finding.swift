/// How much a finding matters: an `error` keeps an image (or the set) out; a `warning` does not.
public enum Severity: String, Codable, Sendable, Hashable, Comparable {
    case warning
    case error

    public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs == .warning && rhs == .error }
}

/// A stable, machine-readable name for a check's outcome. A struct rather than an enum so that
/// manifests written by a newer TunePrep (with codes this one does not know) still decode.
public struct FindingCode: RawRepresentable, Codable, Sendable, Hashable, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public init(from decoder: any Decoder) throws { rawValue = try decoder.singleValueContainer().decode(String.self) }
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
    public var description: String { rawValue }

    // Per image.
    public static let unreadable = FindingCode("unreadable")
    /// A FIFO, a device, a socket or a link to a folder: only regular files are read.
    public static let notAFile = FindingCode("not-a-file")
    /// A symbolic link whose target does not exist.
    public static let brokenLink = FindingCode("broken-link")
    public static let unsupportedFormat = FindingCode("unsupported-format")
    public static let corrupt = FindingCode("corrupt")
    public static let tooLarge = FindingCode("too-large")
    public static let tooSmall = FindingCode("too-small")
    public static let duplicate = FindingCode("duplicate")
    public static let extremeAspect = FindingCode("extreme-aspect")
    public static let decoderWarning = FindingCode("decoder-warning")
    public static let malformedEXIF = FindingCode("malformed-exif")
    public static let compressedHarder = FindingCode("compressed-harder")
    public static let outputTooLarge = FindingCode("output-too-large")
    public static let multiImage = FindingCode("multi-image")
    public static let blurry = FindingCode("blurry")
    public static let nearDuplicate = FindingCode("near-duplicate")
    public static let tooDark = FindingCode("too-dark")
    public static let overexposed = FindingCode("overexposed")
    public static let grayscale = FindingCode("grayscale")

    // Per set.
    public static let tooFewImages = FindingCode("too-few-images")
    public static let tooManyImages = FindingCode("too-many-images")
    public static let totalTooLarge = FindingCode("total-too-large")
}

/// One outcome of a check: a code, a severity and a plain message. `related` names the other
/// file of a pair (duplicates).
public struct Finding: Codable, Sendable, Hashable, CustomStringConvertible {
    public var code: FindingCode
    public var severity: Severity
    public var message: String
    public var related: String?

    public init(_ code: FindingCode, _ severity: Severity, _ message: String, related: String? = nil) {
        self.code = code
        self.severity = severity
        self.message = message
        self.related = related
    }

    public var description: String { "\(severity.rawValue) \(code): \(message)" }
}
