import Foundation

/// `manifest.json` of a staged set: what was asked, what came out, and why anything was left out.
/// Keys are snake_case on disk; use `Manifest.makeEncoder()` / `makeDecoder()`.
public struct Manifest: Codable, Sendable, Equatable {
    public static let currentSchemaVersion = 1
    public static let fileName = "manifest.json"

    public var schemaVersion: Int
    public var tool: Tool
    /// A stable id of the staged content (the outputs' hashes), e.g. `tp-3f2a…`: the same photos
    /// prepared the same way give the same id, which makes a good idempotent tune title.
    public var setId: String
    public var options: PrepareOptions
    public var images: [Image]
    public var summary: Summary
    /// Findings about the set as a whole (counts, total size, framing mix, identity).
    public var findings: [Finding]
    /// How the person checks went over the set; nil when they were off.
    public var personChecks: PersonChecksSummary? = nil

    public struct Tool: Codable, Sendable, Equatable {
        public var name: String
        public var version: String
    }

    public enum Verdict: String, Codable, Sendable {
        case staged
        case rejected
    }

    /// One input photo and what became of it.
    public struct Image: Codable, Sendable, Equatable {
        public var source: String
        public var sourceSha256: String?
        public var sourceBytes: Int?
        /// Format by content (`jpeg`, `png`, ...), when it could be told.
        public var sourceFormat: String?
        /// Size after orientation, when the header could be read.
        public var sourceWidth: Int?
        public var sourceHeight: Int?
        public var verdict: Verdict
        /// The staged file; nil when the image was rejected.
        public var output: Output?
        /// The EXIF orientation (1-8) that was applied; 1 when none was needed (or, for HEIF,
        /// when the container's own rotation was applied by the decoder).
        public var orientationApplied: Int
        /// The embedded colour profile; "… → sRGB" when the pixels were converted from it.
        public var colorProfile: String?
        /// The measurements behind the quality checks.
        public var scores: QualityScores?
        public var findings: [Finding]
        /// The faces found, the framing and the identity distance; nil when the person checks
        /// were off or did not reach this photo (rejected before them).
        public var person: PersonReport? = nil
    }

    public struct Output: Codable, Sendable, Equatable {
        /// File name inside the staged directory, e.g. `01.jpg`.
        public var name: String
        public var sha256: String
        public var width: Int
        public var height: Int
        public var bytes: Int
        public var quality: Int
    }

    public struct Summary: Codable, Sendable, Equatable {
        public var inputs: Int
        public var staged: Int
        public var rejected: Int
        public var warnings: Int
        public var totalBytes: Int
        /// True when the set passed every set-level check and can be submitted.
        public var usable: Bool
    }

    public static func makeEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    public static func makeDecoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return decoder
    }
}
