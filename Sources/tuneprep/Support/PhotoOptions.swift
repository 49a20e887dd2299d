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
    func validate() throws {
        guard !photos.isEmpty else { throw ValidationError("give at least one photo or folder") }
        guard Limits.quality.contains(quality) else { throw ValidationError("--quality must be 1-100") }
        guard Limits.quality.contains(minQuality) else { throw ValidationError("--min-quality must be 1-100") }
        guard minQuality <= quality else {
            throw ValidationError("--min-quality \(minQuality) is above --quality \(quality): the floor cannot be higher than the quality")
        }
        guard Limits.maxSide.contains(maxSide) else { throw ValidationError("--max-side must be 16 to \(Limits.maxSide.upperBound)") }
        guard Limits.minSide.contains(minSide) else { throw ValidationError("--min-side must be 1 to \(Limits.minSide.upperBound)") }
        guard Limits.maxBytes.contains(maxBytes.bytes) else { throw ValidationError("--max-bytes must be 10000 to \(Limits.maxBytes.upperBound)") }
        if let maxTotal, !Limits.maxTotalBytes.contains(maxTotal.bytes) { throw ValidationError("--max-total must be 1 to \(Limits.maxTotalBytes.upperBound)") }
        guard minImages >= 0, maxImages >= minImages, Limits.maxImages.contains(maxImages) else {
            throw ValidationError("need 0 <= --min-images <= --max-images <= \(Limits.maxImages.upperBound)")
        }
        guard maxMegapixels > 0, maxMegapixels <= 100_000 else { throw ValidationError("--max-megapixels must be more than 0 and at most 100000") }
        guard RGBColor(parsing: background) != nil else { throw ValidationError("--background: use white, black or #rrggbb") }
        if let workers, !(1...256).contains(workers) { throw ValidationError("--workers must be 1 to 256") }
        guard minSharpness >= 0, minSharpness.value.isFinite else { throw ValidationError("--min-sharpness must be zero or more") }
        guard (0...255).contains(minBrightness) else { throw ValidationError("--min-brightness is 0-255") }
        guard (0...1).contains(maxClipped) else { throw ValidationError("--max-clipped is a share, 0-1") }
        guard (0...255).contains(minColorfulness) else { throw ValidationError("--min-colorfulness is 0-255") }
        guard Limits.nearDuplicateBits.contains(nearDuplicateBits) else { throw ValidationError("--near-duplicate-bits is -1 (off) to 64") }
    }

    /// The library's ranges: the command line refuses what `Preparer` would.
    typealias Limits = PrepareOptions.Limits

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
