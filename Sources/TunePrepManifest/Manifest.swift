import Foundation

/// `manifest.json` of a staged set: what was asked, what came out, and why anything was left out.
/// Keys are snake_case on disk; use `Manifest.makeEncoder()` / `makeDecoder()` to write and decode
/// one, and ``read(from:)`` to read a staged set's, checked (StagedSetReading.swift).
public struct Manifest: Codable, Sendable, Equatable {
    /// The manifest layout version this build writes.
    public static let currentSchemaVersion = 1
    /// Name of the manifest file inside a staged directory.
    public static let fileName = "manifest.json"

    /// Layout version of this manifest (see `currentSchemaVersion`).
    public var schemaVersion: Int
    /// The program that wrote the manifest.
    public var tool: Tool
    /// A stable id of the staged content (the outputs' hashes), e.g. `tp-3f2a…`: the same photos
    /// prepared the same way give the same id, which makes a good idempotent tune title.
    public var setId: String
    /// The options the set was prepared with.
    public var options: PrepareOptions
    /// Every input photo, in input order, staged or rejected.
    public var images: [Image]
    /// Counts and total size of the set, and whether it can be submitted.
    public var summary: Summary
    /// Findings about the set as a whole (counts, total size, framing mix, identity).
    public var findings: [Finding]
    /// How the person checks went over the set; nil when they were off.
    public var personChecks: PersonChecksSummary? = nil
    /// Folders left beside the set by earlier runs to the same place that were killed (SIGKILL,
    /// a power loss) before they could clean up, removed by this run, by name; nil when none.
    public var removedLeftovers: [String]? = nil

    /// Makes a manifest; the pipeline writes it, readers use ``read(from:)``.
    package init(
        schemaVersion: Int, tool: Tool, setId: String, options: PrepareOptions, images: [Image], summary: Summary,
        findings: [Finding], personChecks: PersonChecksSummary? = nil, removedLeftovers: [String]? = nil
    ) {
        (self.schemaVersion, self.tool, self.setId, self.options, self.images, self.summary, self.findings, self.personChecks, self.removedLeftovers) =
            (schemaVersion, tool, setId, options, images, summary, findings, personChecks, removedLeftovers)
    }

    /// The name and version of the program that wrote a manifest.
    public struct Tool: Codable, Sendable, Equatable {
        /// Program name, e.g. `tuneprep`.
        public var name: String
        /// Program version string.
        public var version: String

        /// Names the program that wrote a manifest.
        package init(name: String, version: String) { (self.name, self.version) = (name, version) }
    }

    /// Whether a photo made it into the staged set.
    public enum Verdict: String, Codable, Sendable {
        /// The photo passed its checks and was written to the staged directory.
        case staged
        /// The photo had an error finding and was left out.
        case rejected
    }

    /// One input photo and what became of it.
    public struct Image: Codable, Sendable, Equatable {
        /// The input's path as given; a folder's photos appear as paths inside it.
        public var source: String
        /// SHA-256 of the source file's bytes, in hex; nil when the photo was rejected before it was read whole.
        public var sourceSha256: String?
        /// Size of the source file in bytes; nil when it could not be read.
        public var sourceBytes: Int?
        /// Format by content (`jpeg`, `png`, ...), when it could be told.
        public var sourceFormat: String?
        /// Size after orientation, when the header could be read.
        public var sourceWidth: Int?
        /// Height in pixels after orientation, when the header could be read.
        public var sourceHeight: Int?
        /// Whether the photo was staged or rejected.
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
        /// Problems found with this photo; any error means it was rejected.
        public var findings: [Finding]
        /// The faces found, the framing and the identity distance; nil when the person checks
        /// were off or did not reach this photo (rejected before them).
        public var person: PersonReport? = nil

        /// Makes a photo's row from what became of it.
        package init(
            source: String, sourceSha256: String?, sourceBytes: Int?, sourceFormat: String?, sourceWidth: Int?,
            sourceHeight: Int?, verdict: Verdict, output: Output?, orientationApplied: Int, colorProfile: String?,
            scores: QualityScores?, findings: [Finding], person: PersonReport? = nil
        ) {
            (self.source, self.sourceSha256, self.sourceBytes, self.sourceFormat, self.sourceWidth, self.sourceHeight, self.verdict, self.output, self.orientationApplied, self.colorProfile, self.scores, self.findings, self.person) =
                (source, sourceSha256, sourceBytes, sourceFormat, sourceWidth, sourceHeight, verdict, output, orientationApplied, colorProfile, scores, findings, person)
        }
    }

    /// The JPEG written for a staged photo.
    public struct Output: Codable, Sendable, Equatable {
        /// File name inside the staged directory, e.g. `01.jpg`.
        public var name: String
        /// SHA-256 of the written JPEG, in hex.
        public var sha256: String
        /// Width of the written JPEG in pixels.
        public var width: Int
        /// Height of the written JPEG in pixels.
        public var height: Int
        /// Size of the written JPEG in bytes.
        public var bytes: Int
        /// JPEG quality (1-100) actually used; below the requested one when lowered to fit
        /// ``PrepareOptions/maxBytes``.
        public var quality: Int

        /// Describes a written JPEG.
        package init(name: String, sha256: String, width: Int, height: Int, bytes: Int, quality: Int) {
            (self.name, self.sha256, self.width, self.height, self.bytes, self.quality) =
                (name, sha256, width, height, bytes, quality)
        }
    }

    /// Totals over the whole set.
    public struct Summary: Codable, Sendable, Equatable {
        /// Number of input photos.
        public var inputs: Int
        /// Number of photos staged.
        public var staged: Int
        /// Number of photos rejected.
        public var rejected: Int
        /// Number of warning findings over all the photos.
        public var warnings: Int
        /// Total size of the staged JPEGs in bytes.
        public var totalBytes: Int
        /// True when the set passed every set-level check and can be submitted.
        public var usable: Bool

        /// Makes the totals.
        package init(inputs: Int, staged: Int, rejected: Int, warnings: Int, totalBytes: Int, usable: Bool) {
            (self.inputs, self.staged, self.rejected, self.warnings, self.totalBytes, self.usable) =
                (inputs, staged, rejected, warnings, totalBytes, usable)
        }
    }

    /// A JSON encoder for manifests: snake_case keys, pretty-printed with sorted keys.
    public static func makeEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    /// A JSON decoder for manifests: reads snake_case keys.
    public static func makeDecoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return decoder
    }
}
