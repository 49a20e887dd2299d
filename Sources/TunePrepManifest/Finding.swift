/// How much a finding matters: an `error` keeps an image (or the set) out; a `warning` does not.
public enum Severity: String, Codable, Sendable, Hashable, Comparable {
    case warning
    case error

    /// Orders warnings before errors, so the worst of several findings is their `max()`.
    public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs == .warning && rhs == .error }
}

/// A stable, machine-readable name for a check's outcome. A struct rather than an enum so that
/// manifests written by a newer TunePrep (with codes this one does not know) still decode.
public struct FindingCode: RawRepresentable, Codable, Sendable, Hashable, CustomStringConvertible {
    /// The code as written in manifests, e.g. `too-small`.
    public let rawValue: String
    /// Wraps a code string, known to this version or not.
    public init(rawValue: String) { self.rawValue = rawValue }
    /// Wraps a code string, known to this version or not.
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public init(from decoder: any Decoder) throws { rawValue = try decoder.singleValueContainer().decode(String.self) }
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
    public var description: String { rawValue }

    // Per image.
    /// Raised when the file cannot be read (permissions, I/O).
    public static let unreadable = FindingCode("unreadable")
    /// A FIFO, a device, a socket or a link to a folder: only regular files are read.
    public static let notAFile = FindingCode("not-a-file")
    /// A symbolic link whose target does not exist.
    public static let brokenLink = FindingCode("broken-link")
    /// Raised when the content is not JPEG, PNG, HEIF or WebP.
    public static let unsupportedFormat = FindingCode("unsupported-format")
    /// Raised when the decoder refuses the file: truncated, bad CRC or data, abusive structure.
    public static let corrupt = FindingCode("corrupt")
    /// Raised when the header declares more pixels than ``PrepareOptions/maxPixels``, or the file is bigger than such an image can take.
    public static let tooLarge = FindingCode("too-large")
    /// Raised when the short side after orientation is under ``PrepareOptions/minSide``.
    public static let tooSmall = FindingCode("too-small")
    /// Raised on the later of two byte-identical photos (or identical pixels after orientation), naming the earlier.
    public static let duplicate = FindingCode("duplicate")
    /// Raised (warning) when the long side is more than 3 times the short side.
    public static let extremeAspect = FindingCode("extreme-aspect")
    /// Raised (warning) for a recoverable oddity the decoder reported.
    public static let decoderWarning = FindingCode("decoder-warning")
    /// Raised (warning) when the EXIF block is unreadable; orientation 1 is then assumed.
    public static let malformedEXIF = FindingCode("malformed-exif")
    /// Raised (warning) when quality was lowered, and if needed the size reduced, to fit ``PrepareOptions/maxBytes``.
    public static let compressedHarder = FindingCode("compressed-harder")
    /// Raised when the output cannot fit ``PrepareOptions/maxBytes`` even at the quality floor and the minimum size.
    public static let outputTooLarge = FindingCode("output-too-large")
    /// Raised (warning) for a HEIF with several images or an animated WebP: only the primary image or first frame is used.
    public static let multiImage = FindingCode("multi-image")
    /// Raised (warning) when sharpness is under ``QualityThresholds/minSharpness``.
    public static let blurry = FindingCode("blurry")
    /// Raised (warning) when the perceptual hash is within ``QualityThresholds/nearDuplicateBits`` of an earlier photo's.
    public static let nearDuplicate = FindingCode("near-duplicate")
    /// Raised (warning) when mean luma is under ``QualityThresholds/minMeanLuma``, or most pixels are near black.
    public static let tooDark = FindingCode("too-dark")
    /// Raised (warning) when more than ``QualityThresholds/maxClippedShare`` of the pixels are clipped to white.
    public static let overexposed = FindingCode("overexposed")
    /// Raised (warning) when colourfulness is under ``QualityThresholds/minColorfulness``.
    public static let grayscale = FindingCode("grayscale")

    // Per set.
    /// Raised on the set when fewer photos are usable than ``PrepareOptions/minImages``.
    public static let tooFewImages = FindingCode("too-few-images")
    /// Raised on the set when more photos are usable than ``PrepareOptions/maxImages``.
    public static let tooManyImages = FindingCode("too-many-images")
    /// Raised on the set when the outputs total more than ``PrepareOptions/maxTotalBytes``.
    public static let totalTooLarge = FindingCode("total-too-large")
}

/// One outcome of a check: a code, a severity and a plain message. `related` names the other
/// file of a pair (duplicates).
public struct Finding: Codable, Sendable, Hashable, CustomStringConvertible {
    /// What was found, as a stable name.
    public var code: FindingCode
    /// Whether this keeps the photo (or set) out.
    public var severity: Severity
    /// A plain explanation for people, e.g. the measured value and the limit.
    public var message: String
    /// The other file of a pair (duplicates, near-duplicates); nil otherwise.
    public var related: String?

    /// Creates a finding; `related` names the other file of a pair.
    public init(_ code: FindingCode, _ severity: Severity, _ message: String, related: String? = nil) {
        self.code = code
        self.severity = severity
        self.message = message
        self.related = related
    }

    public var description: String { "\(severity.rawValue) \(code): \(message)" }
}

/// The person checks' codes (TunePrep's `PersonChecks`).
extension FindingCode {
    // Per image.
    /// Raised (error) when no face is found in the photo.
    public static let noFace = FindingCode("no-face")
    /// Raised (error) when another face is at least `otherPersonFraction` of the main face's height.
    public static let severalPeople = FindingCode("several-people")
    /// Raised (warning) when there are smaller faces than that, such as a crowd far behind.
    public static let backgroundFaces = FindingCode("background-faces")
    /// Raised (warning) when the main face is under `minFaceHeight` pixels tall in the output.
    public static let faceTooSmall = FindingCode("face-too-small")
    /// Raised (warning) when the main face's box crosses the frame's edge by more than `cutOffTolerance` of its size.
    public static let faceCutOff = FindingCode("face-cut-off")
    /// Raised (warning) when the face's identity descriptor is farther than `maxIdentityDistance` from the set's consensus face.
    public static let differentPerson = FindingCode("different-person")
    /// Raised (warning) when the main face is turned so far that one eye is hidden (from the CNN's
    /// landmarks): profile views train poorly.
    public static let faceTurned = FindingCode("face-turned")
    /// The person checks could not run on this photo (a failure inside dlib or OpenCV).
    public static let personCheckFailed = FindingCode("person-check-failed")

    // Per set.
    /// Raised on the set (warning) when there is no close-up at all, or nothing but close-ups.
    public static let framingMix = FindingCode("framing-mix")
    /// Raised on the set (warning) when the identity models are absent or unreadable, so the same-person check did not run.
    public static let identityNotChecked = FindingCode("identity-not-checked")
    /// Raised on the set (warning) when the CNN face detector's model is absent or unreadable, so
    /// the HOG detector ran instead (it misses small, turned and cut-off faces).
    public static let faceDetectorFallback = FindingCode("face-detector-fallback")
    /// The body pose network is absent or unreadable: full-body framing came from the face alone.
    public static let framingFromFaceOnly = FindingCode("framing-from-face-only")
}
