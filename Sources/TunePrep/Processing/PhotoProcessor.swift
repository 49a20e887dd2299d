import TunePrepDigest
import Foundation

/// What became of one photo: everything the checks and the manifest need, without its pixels.
struct PhotoOutcome: Sendable {
    var index: Int
    var path: String
    var sourceSha256: String?
    var sourceBytes: Int?
    var format: ImageFormat?
    var orientedWidth: Int?
    var orientedHeight: Int?
    var orientation: Orientation = .up
    var findings: [Finding] = []
    var output: EncodedPhoto?
    /// The embedded colour profile, and "→ sRGB" when it was converted.
    var colorProfile: String?
    var scores: QualityScores?
    var person: PersonReport?
    /// The main face, cut out for the identity descriptor; dropped once that is computed.
    var faceCrop: FaceCrop?
    /// The main face's identity descriptor: in memory for the set-level check, never written.
    var descriptor: [Float]?
    /// The output could not be written (a full disk): the run's failure, not the photo's.
    var writeFailure: StagingError?

    var hasError: Bool { findings.contains { $0.severity == .error } }
}

struct EncodedPhoto: Sendable {
    var sha256: String
    var width: Int
    var height: Int
    var bytes: Int
    var quality: Int
}

/// One photo through the pipeline: read, sniff, header, checks, decode (at a DCT scale that
/// leaves the resampler at least 2x to reduce), resize, orient, encode under the size cap.
struct PhotoProcessor: Sendable {
    var options: PrepareOptions
    /// Keep a crop of each photo's main face for the identity check, which the set-level step
    /// runs once every photo has been read (when the person checks and their models are on).
    var keepFaces = false
    /// The face search of the person checks (the CNN, or HOG when its model is absent).
    var detector: FaceDetector = .hog

    /// `emit` receives the encoded JPEG; nil means checks only (the encode still runs, so the
    /// reported bytes are the real ones). A failure of `emit` (the disk, not the photo) is set
    /// as `writeFailure`, never as a finding, so that the run stops instead of blaming the photo.
    func process(
        index: Int, url: URL, path: String, emit: ((Int, Data) throws(StagingError) -> Void)?
    ) -> PhotoOutcome {
        var outcome = PhotoOutcome(index: index, path: path)
        let source: SourceFile
        do {
            source = try SourceFile.open(url)
        } catch {
            outcome.findings.append(Self.finding(for: error))
            return outcome
        }
        outcome.sourceBytes = source.size

        let limits = DecodeLimits(maxPixels: options.maxPixels)
        var header: ImageHeader
        do {
            header = try ImageDecoder.header(of: source.data, limits: limits)
        } catch {
            // Only a decodable image is read past its beginning (a video or any other file stops
            // here): a JPEG whose markers, or a PNG whose chunks, run past it are read further,
            // as far as an image within the pixel limit can go, and asked again.
            let format = ImageFormat.sniff(source.data)
            outcome.format = format
            guard !source.isWhole, format.isDecodable else {
                outcome.findings.append(Self.finding(for: error))
                return outcome
            }
            do {
                try source.readMore(limit: SourceFile.byteLimit(pixels: options.maxPixels))
                header = try ImageDecoder.header(of: source.data, limits: limits)
            } catch {
                outcome.findings.append(Self.finding(forAny: error))
                return outcome
            }
        }
        outcome.format = header.format

        // Refused from the header or the file's size: the rest is never read (so it has no digest).
        func refuse(_ finding: Finding) -> PhotoOutcome {
            let oriented = EXIFReader.read(source.data, format: header.format).orientation
                .orientedSize(width: header.width, height: header.height)
            outcome.orientedWidth = oriented.width
            outcome.orientedHeight = oriented.height
            outcome.findings.append(finding)
            return outcome
        }
        if header.pixelCount > options.maxPixels {
            return refuse(Finding(.tooLarge, .error, DecodingError.tooLarge(
                width: header.width, height: header.height, limit: options.maxPixels).description))
        }
        // Hashed whole, and held whole unless a JPEG, within what an image of this size can take.
        do {
            try source.load(keepWhole: header.format != .jpeg, limit: SourceFile.byteLimit(pixels: header.pixelCount))
        } catch {
            outcome.sourceBytes = source.size
            return refuse(Self.finding(for: error))
        }
        outcome.sourceBytes = source.size
        outcome.sourceSha256 = source.sha256
        let data = source.data
        let exif = EXIFReader.read(data, format: header.format)
        if let problem = exif.problem {
            outcome.findings.append(Finding(.malformedEXIF, .warning, problem))
        }
        outcome.orientation = exif.orientation
        let oriented = exif.orientation.orientedSize(width: header.width, height: header.height)
        outcome.orientedWidth = oriented.width
        outcome.orientedHeight = oriented.height

        let longSide = max(header.width, header.height)
        let target = Self.targetSize(width: header.width, height: header.height, maxSide: options.maxSide)
        let scale = header.format == .jpeg ? Self.dctScale(longSide: longSide, target: max(target.width, target.height)) : 8

        // The whole decoded raster, for photos that are not streamed and for the size cap's
        // rare second resize of streamed ones.
        let decodeRaster = { [options] () throws(DecodingError) -> DecodedImage in
            source.isWhole
                ? try ImageDecoder.decode(
                    data, format: header.format, scaleEighths: scale, limits: limits, background: options.background)
                : try ImageDecoder.decodeJPEG(atPath: source.reopenPath, scaleEighths: scale, limits: limits)
        }
        // A JPEG or PNG that shrinks is resized as it decodes: its decoded raster (36 MB for a
        // 12 MP phone photo) is never held, only the few rows the vertical filter still needs.
        let decodedSize = ImageDecoder.decodedSize(of: header, scaleEighths: scale)
        let stream = ImageDecoder.canStream(header.format)
            && (decodedSize.width != target.width || decodedSize.height != target.height)
            ? Resampler.Stream(sourceWidth: decodedSize.width, sourceHeight: decodedSize.height,
                               width: target.width, height: target.height, orientation: exif.orientation)
            : nil
        let decoded: DecodedImage
        do {
            if let stream {
                decoded = try ImageDecoder.decode(
                    source.isWhole ? .data(data) : .file(path: source.reopenPath), format: header.format,
                    scaleEighths: scale, limits: limits, background: options.background, into: stream)
            } else {
                decoded = try decodeRaster()
            }
        } catch {
            outcome.findings.append(Self.finding(for: error))
            return outcome
        }
        for warning in decoded.warnings {
            outcome.findings.append(Finding(.decoderWarning, .warning, warning))
        }
        if decoded.imageCount > 1 {
            let what = header.format == .webp ? "an animation of \(decoded.imageCount) frames; the first" : "\(decoded.imageCount) images; the primary one"
            outcome.findings.append(Finding(.multiImage, .warning, "holds \(what) is used"))
        }
        if let profile = decoded.profile {
            outcome.colorProfile = decoded.colorConverted ? "\(profile) → sRGB" : profile
        }

        let shortSide = min(oriented.width, oriented.height)
        if shortSide < options.minSide {
            outcome.findings.append(Finding(.tooSmall, .error,
                "\(oriented.width)x\(oriented.height): short side \(shortSide) px is under the \(options.minSide) px minimum"))
        }
        let aspect = Double(max(oriented.width, oriented.height)) / Double(max(1, shortSide))
        if aspect > options.extremeAspect {
            outcome.findings.append(Finding(.extremeAspect, .warning,
                "aspect ratio \(String(format: "%.1f", aspect)):1 is beyond \(String(format: "%.0f", options.extremeAspect)):1; faces may be cropped badly"))
        }

        // A rejected photo (too small) needs no output, digest or scores: stop before the resize.
        if outcome.hasError { return outcome }
        let upright = stream != nil
            ? decoded.pixels
            : Resampler.resize(decoded.pixels, width: target.width, height: target.height, orientation: exif.orientation)
        let resizeSource = { () throws -> PixelBuffer in stream != nil ? try decodeRaster().pixels : decoded.pixels }
        let scores = QualityScores.measure(upright)
        outcome.scores = scores
        outcome.findings += qualityFindings(scores)

        if options.personChecks.enabled {
            let person = PersonChecks.inspect(upright, options: options.personChecks, detector: detector, keepFace: keepFaces)
            outcome.person = person.report
            outcome.faceCrop = person.faceCrop
            outcome.findings += person.findings
            // No face, or several people: the photo is out, so it needs no output.
            if outcome.hasError { return outcome }
        }

        let jpeg: Data
        do {
            let (encodedJPEG, encoded, findings) = try encodeUnderCap(upright, source: resizeSource, orientation: exif.orientation)
            outcome.findings += findings
            outcome.output = encoded
            jpeg = encodedJPEG
            if encoded.width != upright.width, var person = outcome.person {
                // The size cap shrank the output: face boxes follow it.
                let s = Double(encoded.width) / Double(upright.width)
                person.faces = person.faces.map {
                    Face(x: Int((Double($0.x) * s).rounded()), y: Int((Double($0.y) * s).rounded()),
                         width: Int((Double($0.width) * s).rounded()), height: Int((Double($0.height) * s).rounded()),
                         confidence: $0.confidence)
                }
                outcome.person = person
            }
        } catch let error as EncodingError {
            outcome.findings.append(Finding(.outputTooLarge, .error, error.message))
            return outcome
        } catch {
            outcome.findings.append(Self.finding(forAny: error))
            return outcome
        }
        do {
            try emit?(index, jpeg)
        } catch {
            outcome.writeFailure = error
        }
        return outcome
    }

    /// The image-quality warnings: blur, exposure, no colour.
    func qualityFindings(_ scores: QualityScores) -> [Finding] {
        let limits = options.thresholds
        var findings: [Finding] = []
        if scores.sharpness < limits.minSharpness {
            findings.append(Finding(.blurry, .warning,
                "looks blurry (sharpness \(format(scores.sharpness)), under \(format(limits.minSharpness)))"))
        }
        if scores.meanLuma < limits.minMeanLuma || scores.darkShare > limits.maxDarkShare {
            findings.append(Finding(.tooDark, .warning,
                "too dark (mean brightness \(format(scores.meanLuma))/255, \(percent(scores.darkShare)) of pixels near black)"))
        }
        if scores.clippedShare > limits.maxClippedShare {
            findings.append(Finding(.overexposed, .warning, "overexposed (\(percent(scores.clippedShare)) of pixels clipped to white)"))
        }
        if scores.colorfulness < limits.minColorfulness {
            findings.append(Finding(.grayscale, .warning, "black and white (colourfulness \(format(scores.colorfulness)))"))
        }
        return findings
    }

    private func format(_ value: Double) -> String { String(format: "%.1f", value) }
    private func percent(_ share: Double) -> String { String(format: "%.0f%%", share * 100) }

    /// Lowers quality step by step down to the floor, then reduces the size, until the JPEG
    /// fits `maxBytes`; says so in a finding when it had to.
    private func encodeUnderCap(
        _ upright: PixelBuffer, source: () throws -> PixelBuffer, orientation: Orientation
    ) throws -> (Data, EncodedPhoto, [Finding]) {
        var image = upright
        var decodedSource: PixelBuffer?
        var quality = options.quality
        let floor = min(options.minQuality, options.quality)
        while true {
            let jpeg = try JPEGEncoder.encode(image, options: .init(
                quality: quality, fullChroma: options.chroma.keepsFullChroma(atQuality: quality),
                optimizeHuffman: options.optimizeHuffman))
            if jpeg.count <= options.maxBytes {
                var findings: [Finding] = []
                if quality < options.quality || image.width != upright.width {
                    findings.append(Finding(.compressedHarder, .warning,
                        "to fit \(Self.megabytes(options.maxBytes)): quality \(quality)"
                        + (image.width != upright.width ? ", \(image.width)x\(image.height) px" : "")))
                }
                let encoded = EncodedPhoto(
                    sha256: SHA256.hash(data: jpeg).hex, width: image.width, height: image.height,
                    bytes: jpeg.count, quality: quality)
                return (jpeg, encoded, findings)
            }
            if quality > floor {
                quality = max(floor, quality - 2)
                continue
            }
            // At the quality floor: shrink by 10% a step, from the decoded source for sharpness.
            let width = image.width * 9 / 10, height = image.height * 9 / 10
            guard min(width, height) >= max(1, options.minSide) else {
                throw EncodingError(message:
                    "cannot fit \(Self.megabytes(options.maxBytes)) even at quality \(floor) and \(image.width)x\(image.height) px")
            }
            let (sw, sh) = orientation.orientedSize(width: width, height: height)
            if decodedSource == nil { decodedSource = try source() }
            image = Resampler.resize(decodedSource!, width: sw, height: sh, orientation: orientation)
        }
    }

    /// Output size: the long side at most `maxSide`, never upscaled, aspect kept.
    static func targetSize(width: Int, height: Int, maxSide: Int) -> (width: Int, height: Int) {
        let longSide = max(width, height)
        guard longSide > maxSide else { return (width, height) }
        let scale = Double(maxSide) / Double(longSide)
        let w = width >= height ? maxSide : max(1, Int((Double(width) * scale).rounded()))
        let h = height > width ? maxSide : max(1, Int((Double(height) * scale).rounded()))
        return (w, h)
    }

    /// The M (in M/8) of the DCT-scaled decode: the smallest whose decode still leaves the
    /// resampler a reduction of at least `minimumResampleReduction` (2x); 8 in place of 5, 6 or 7.
    /// libjpeg-turbo's scaled inverse DCT keeps the low frequencies of each 8x8 block and drops
    /// the rest, a poor low-pass filter: with only 1.0-1.4x left to the Lanczos pass (the old rule:
    /// the smallest M/8 that covers the target) fine texture lost up to 0.05 SSIM against libvips;
    /// with 2x left the detail it mangles lies above the output's Nyquist limit, where the Lanczos
    /// pass removes it. libvips keeps the same margin after its shrink-on-load and Pillow's
    /// `reducing_gap` defaults to 2.0. The quality sweep (`benchmarks/quality_sweep.py`, see
    /// docs/benchmarks.md) chose 2x over 1.25x and 1.5x. 5/8-7/8 stay out: libjpeg-turbo has SIMD
    /// inverse DCTs only for 8/8 and 1/2, 1/4, 1/8, and decoding an 8 MP photo at 5/8 took 74 ms
    /// against 50 ms at 8/8. Only JPEGs decode at a reduced size; every other format decodes whole.
    static func dctScale(longSide: Int, target: Int) -> Int {
        for m in 1...4 where (longSide * m + 7) / 8 >= target * minimumResampleReduction { return m }
        return 8
    }

    /// How much the resampler must still reduce after a DCT-scaled decode (see `dctScale`).
    static let minimumResampleReduction = 2

    static func finding(for error: DecodingError) -> Finding {
        switch error {
        case .unsupportedFormat: Finding(.unsupportedFormat, .error, error.description)
        case .tooLarge: Finding(.tooLarge, .error, error.description)
        case .truncated, .corrupt, .abusive, .outOfMemory: Finding(.corrupt, .error, error.description)
        }
    }

    static func finding(for error: SourceError) -> Finding {
        switch error {
        case .notAFile(let kind): Finding(.notAFile, .error, "not a regular file: \(kind); only regular files are read")
        case .brokenLink(let target, let reason): Finding(.brokenLink, .error, "a symbolic link to \(target), which cannot be followed: \(reason)")
        case .unreadable(let reason): Finding(.unreadable, .error, "cannot read the file: \(reason)")
        case .tooLarge(let size, let limit):
            Finding(.tooLarge, .error, "the file is \(megabytes(size)), more than such an image can take (\(megabytes(limit))); not read")
        }
    }

    static func finding(forAny error: any Error) -> Finding {
        switch error {
        case let error as DecodingError: finding(for: error)
        case let error as SourceError: finding(for: error)
        default: finding(for: DecodingError.outOfMemory(detail: reason(error)))
        }
    }

    static func reason(_ error: any Error) -> String {
        if let error = error as? CocoaError, let underlying = error.userInfo[NSUnderlyingErrorKey] as? NSError {
            return String(cString: strerror(Int32(underlying.code)))
        }
        return (error as NSError).localizedDescription
    }

    static func megabytes(_ bytes: Int) -> String { String(format: "%.1f MB", Double(bytes) / 1_000_000) }
}

extension Digest {
    var hex: String {
        var text = ""
        text.reserveCapacity(Self.byteCount * 2)
        for byte in self {
            text.append(Character(Unicode.Scalar(hexDigits[Int(byte >> 4)])))
            text.append(Character(Unicode.Scalar(hexDigits[Int(byte & 0xF)])))
        }
        return text
    }
}

private let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)
