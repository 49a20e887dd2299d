import ArgumentParser
import Foundation
import TunePrep

/// The options `prepare` and `check` share: inputs, image settings and set limits.
struct PhotoOptions: ParsableArguments {
    @Argument(help: ArgumentHelp("Photos, or folders of photos (searched recursively; hidden files skipped).", valueName: HelpText.path), completion: .file())
    var photos: [String] = []

    @Option(parsing: .unconditional, help: ArgumentHelp("Longest side of an output, in pixels (never upscaled).", valueName: HelpText.pixels))
    var maxSide = 2048
    @Option(parsing: .unconditional, help: ArgumentHelp("Shortest side (after orientation) a photo needs to be usable, in pixels.", valueName: HelpText.pixels))
    var minSide = 512
    @Option(parsing: .unconditional, help: ArgumentHelp("JPEG quality of the outputs (1-100).", valueName: "quality"))
    var quality = 92
    @Option(parsing: .unconditional, help: ArgumentHelp("Lowest quality used to fit --max-bytes before the size is reduced.", valueName: "quality"))
    var minQuality = 80
    @Option(parsing: .unconditional, help: ArgumentHelp("Largest output file: bytes, or with kB/MB (e.g. 3MB).", valueName: "size"))
    var maxBytes: ByteCount = ByteCount(3_000_000)
    @Option(parsing: .unconditional, help: ArgumentHelp("Largest total of all outputs: bytes, or with kB/MB (e.g. 40MB).", valueName: "size"))
    var maxTotal: ByteCount?
    @Option(parsing: .unconditional, help: ArgumentHelp("Fewest usable photos a set needs.", valueName: HelpText.count))
    var minImages = 4
    @Option(parsing: .unconditional, help: ArgumentHelp("Most usable photos a set may have.", valueName: HelpText.count))
    var maxImages = 20
    @Option(parsing: .unconditional, help: ArgumentHelp("Refuse photos declaring more megapixels than this, before decoding.", valueName: "megapixels"))
    var maxMegapixels: Real = 100
    @Option(help: ArgumentHelp("Chroma subsampling: auto (4:4:4 at quality 90 and up), 444 or 420.", valueName: "mode"))
    var chroma: PrepareOptions.ChromaSubsampling = .auto
    @Flag(help: "Fit Huffman tables to each photo: about 8% smaller files, about 2.5x slower encoding.")
    var optimizeHuffman = false
    @Option(help: ArgumentHelp("Background for transparent pixels: white, black or #rrggbb.", valueName: "color"))
    var background = "white"
    @Option(parsing: .unconditional, help: ArgumentHelp("Warn `blurry` under this sharpness (variance of the Laplacian on a 512 px downscale).", valueName: "variance"))
    var minSharpness = Real(QualityThresholds().minSharpness)
    @Option(parsing: .unconditional, help: ArgumentHelp("Warn `near-duplicate` when perceptual hashes differ in at most this many of 64 bits (-1: off).", valueName: "bits"))
    var nearDuplicateBits = QualityThresholds().nearDuplicateBits
    @Option(parsing: .unconditional, help: ArgumentHelp("Warn `too-dark` under this mean brightness (0-255).", valueName: "level"))
    var minBrightness = Real(QualityThresholds().minMeanLuma)
    @Option(parsing: .unconditional, help: ArgumentHelp("Warn `overexposed` when more than this share of pixels is clipped white (0-1).", valueName: HelpText.fraction))
    var maxClipped = Real(QualityThresholds().maxClippedShare)
    @Option(parsing: .unconditional, help: ArgumentHelp("Warn `grayscale` under this colourfulness (mean max-min of R, G, B).", valueName: "level"))
    var minColorfulness = Real(QualityThresholds().minColorfulness)
    @Flag(help: "No image-quality warnings (blurry, near-duplicate, too-dark, overexposed, grayscale).")
    var noQualityChecks = false
    @Option(parsing: .unconditional, help: ArgumentHelp("Photos processed at once (default: the number of cores).", valueName: HelpText.count))
    var workers: Int?
    @Flag(help: "No progress output.")
    var quiet = false
    @OptionGroup(title: "Person checks")
    var person: PersonCheckArguments

    /// Every number is range-checked here (a usage error, exit 2), so that none reaches a
    /// conversion that would trap: --max-megapixels 1e300 is refused, not multiplied into an Int.
    /// The ranges of the library's options are the library's (`PrepareOptions.optionProblems`),
    /// said with the flags' names; only what is not one of its options is checked here.
    func validate() throws {
        guard !photos.isEmpty else { throw ValidationError("give at least one photo or folder") }
        guard maxMegapixels > 0, maxMegapixels <= 100_000 else { throw ValidationError("--max-megapixels must be more than 0 and at most 100000") }
        guard RGBColor(parsing: background) != nil else { throw ValidationError("--background: use white, black or #rrggbb") }
        if let workers, !(1...256).contains(workers) { throw ValidationError("--workers must be 1 to 256") }
        let problems = prepareOptions.optionProblems
        if !problems.isEmpty {
            throw ValidationError(problems.map { $0.description(naming: { Self.flags[$0] }) }.joined(separator: "; "))
        }
    }

    /// The flag of each library option these commands set, by its path in `PrepareOptions`.
    static let flags: [String: String] = [
        "maxSide": "--max-side", "minSide": "--min-side", "quality": "--quality", "minQuality": "--min-quality",
        "maxBytes": "--max-bytes", "maxTotalBytes": "--max-total", "minImages": "--min-images", "maxImages": "--max-images",
        "thresholds.minSharpness": "--min-sharpness", "thresholds.nearDuplicateBits": "--near-duplicate-bits",
        "thresholds.minMeanLuma": "--min-brightness", "thresholds.maxClippedShare": "--max-clipped",
        "thresholds.minColorfulness": "--min-colorfulness",
        "personChecks.cnnInputSide": "--face-input-side", "personChecks.detectionSide": "--face-detection-side",
        "personChecks.otherPersonFraction": "--other-person-fraction", "personChecks.minFaceHeight": "--min-face-height",
        "personChecks.closeUpFraction": "--close-up-fraction", "personChecks.fullBodyFraction": "--full-body-fraction",
        "personChecks.maxIdentityDistance": "--max-identity-distance",
    ]

    var prepareOptions: PrepareOptions {
        var options = PrepareOptions()
        options.maxSide = maxSide
        options.minSide = minSide
        options.quality = quality
        options.minQuality = minQuality
        options.maxBytes = maxBytes.bytes
        options.maxTotalBytes = maxTotal?.bytes
        options.minImages = minImages
        options.maxImages = maxImages
        options.maxPixels = Int(maxMegapixels.value * 1_000_000)
        options.chroma = chroma
        options.optimizeHuffman = optimizeHuffman
        options.background = RGBColor(parsing: background) ?? .white
        if noQualityChecks {
            options.thresholds = .off
        } else {
            options.thresholds.minSharpness = minSharpness.value
            options.thresholds.nearDuplicateBits = nearDuplicateBits
            options.thresholds.minMeanLuma = minBrightness.value
            options.thresholds.maxClippedShare = maxClipped.value
            options.thresholds.minColorfulness = minColorfulness.value
        }
        options.personChecks = person.options
        return options
    }

    var preparer: Preparer {
        workers.map { Preparer(options: prepareOptions, workers: $0, modelsDirectory: person.modelsDirectory) }
            ?? Preparer(options: prepareOptions, modelsDirectory: person.modelsDirectory)
    }
}

extension PrepareOptions.ChromaSubsampling: ExpressibleByArgument {}

/// A size in bytes as typed: `3000000`, `500kB`, `3MB`, `2.5MB` (decimal units, as the report
/// prints them; `KiB`/`MiB` are binary).
struct ByteCount: ExpressibleByArgument, Equatable {
    let bytes: Int

    init(_ bytes: Int) { self.bytes = bytes }

    init?(argument: String) {
        let text = argument.trimmingCharacters(in: .whitespaces)
        let units: [(String, Double)] = [
            ("KiB", 1024), ("MiB", 1024 * 1024), ("GiB", 1024 * 1024 * 1024),
            ("kB", 1e3), ("KB", 1e3), ("k", 1e3), ("K", 1e3), ("MB", 1e6), ("M", 1e6), ("GB", 1e9), ("G", 1e9), ("B", 1),
        ]
        var number = text, factor = 1.0
        if let (suffix, value) = units.first(where: { text.hasSuffix($0.0) }) {
            number = String(text.dropLast(suffix.count)).trimmingCharacters(in: .whitespaces)
            factor = value
        }
        guard let value = Double(number), value.isFinite, value >= 0, value * factor < Double(Int.max) else { return nil }
        bytes = Int((value * factor).rounded())
    }

    var defaultValueDescription: String { "\(bytes)" }
}
