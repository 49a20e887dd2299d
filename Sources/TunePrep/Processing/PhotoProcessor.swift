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

/// One photo through the pipeline, as a sequence of stages: open, header, limits and hash, EXIF,
/// decode (at a DCT scale that leaves the resampler at least 2x to reduce, resized as it decodes
/// where it can), the size checks, resize, the quality scores, the person checks, encode under the
/// size cap, write. Each stage returns what the next needs, or stops the photo with a finding.
struct PhotoProcessor: Sendable {
    var options: PrepareOptions
    /// Keep a crop of each photo's main face for the identity check, which the set-level step
    /// runs once every photo has been read (when the person checks and their models are on).
    var keepFaces = false
    /// The face search of the person checks (the CNN, or HOG when its model is absent).
    var detector: FaceDetector = .hog

    /// Where the stages stop a photo: with a finding, or (nil) after findings already recorded.
    struct Stop: Error {
        var finding: Finding?
    }

    /// `emit` receives the encoded JPEG; nil means checks only (the encode still runs, so the
    /// reported bytes are the real ones). A failure of `emit` (the disk, not the photo) is set
    /// as `writeFailure`, never as a finding, so that the run stops instead of blaming the photo.
    func process(
        index: Int, url: URL, path: String, emit: ((Int, Data) throws(StagingError) -> Void)?
    ) -> PhotoOutcome {
        var photo = PhotoOutcome(index: index, path: path)
        do throws(Stop) {
            let source = try open(url, &photo)
            let header = try readHeader(source, &photo)
            try loadWithinLimits(source, header, &photo)
            let orientation = readEXIF(source, header, &photo)
            let plan = DecodePlan(header: header, orientation: orientation, options: options)
            let decoded = try decode(source, plan, &photo)
            try checkSize(&photo)
            let upright = resize(decoded, plan)
            measureQuality(upright, &photo)
            try checkPerson(upright, &photo)
            let jpeg = try encode(upright, plan, &photo) { () throws(DecodingError) in try raster(decoded, source, plan) }
            photo.writeFailure = write(jpeg, index: index, emit: emit)
        } catch {
            if let finding = error.finding { photo.findings.append(finding) }
        }
        return photo
    }

    // MARK: The stages

    /// Opens the file (regular files only) and reads its beginning.
    private func open(_ url: URL, _ photo: inout PhotoOutcome) throws(Stop) -> SourceFile {
        let source: SourceFile
        do {
            source = try SourceFile.open(url)
        } catch {
            throw Stop(finding: Self.finding(for: error))
        }
        photo.sourceBytes = source.size
        return source
    }

    /// The header, from the beginning of the file. Only a decodable image is read past its
    /// beginning (a video or any other file stops here): a JPEG whose markers, or a PNG whose
    /// chunks, run past it are read further, as far as an image within the pixel limit can go,
    /// and asked again.
    private func readHeader(_ source: SourceFile, _ photo: inout PhotoOutcome) throws(Stop) -> ImageHeader {
        let limits = DecodeLimits(maxPixels: options.maxPixels)
        let header: ImageHeader
        do {
            header = try ImageDecoder.header(of: source.data, limits: limits)
        } catch {
            let format = ImageFormat.sniff(source.data)
            photo.format = format
            guard !source.isWhole, format.isDecodable else { throw Stop(finding: Self.finding(for: error)) }
            do {
                try source.readMore(limit: SourceFile.byteLimit(pixels: options.maxPixels))
                header = try ImageDecoder.header(of: source.data, limits: limits)
            } catch {
                throw Stop(finding: Self.finding(forAny: error))
            }
        }
        photo.format = header.format
        return header
    }

    /// Refuses a photo over the pixel limit, or a file larger than such an image can take, from
    /// its header and size (the rest is never read, so it has no digest); otherwise reads and
    /// hashes it whole, holding it whole unless a JPEG.
    private func loadWithinLimits(_ source: SourceFile, _ header: ImageHeader, _ photo: inout PhotoOutcome) throws(Stop) {
        func refuse(_ finding: Finding) -> Stop {
            let oriented = EXIFReader.read(source.data, format: header.format).orientation
                .orientedSize(width: header.width, height: header.height)
            photo.orientedWidth = oriented.width
            photo.orientedHeight = oriented.height
            return Stop(finding: finding)
        }
        if header.pixelCount > options.maxPixels {
            throw refuse(Finding(.tooLarge, .error, DecodingError.tooLarge(
                width: header.width, height: header.height, limit: options.maxPixels).description))
        }
        do {
            try source.load(keepWhole: header.format != .jpeg, limit: SourceFile.byteLimit(pixels: header.pixelCount))
        } catch {
            photo.sourceBytes = source.size
            throw refuse(Self.finding(for: error))
        }
        photo.sourceBytes = source.size
        photo.sourceSha256 = source.sha256
    }

    /// The EXIF orientation (a malformed block is a warning, and orientation 1), and the size
    /// after it.
    private func readEXIF(_ source: SourceFile, _ header: ImageHeader, _ photo: inout PhotoOutcome) -> Orientation {
        let exif = EXIFReader.read(source.data, format: header.format)
        if let problem = exif.problem {
            photo.findings.append(Finding(.malformedEXIF, .warning, problem))
        }
        photo.orientation = exif.orientation
        let oriented = exif.orientation.orientedSize(width: header.width, height: header.height)
        photo.orientedWidth = oriented.width
        photo.orientedHeight = oriented.height
        return exif.orientation
    }

    /// How a photo is decoded and brought to its output size.
    struct DecodePlan {
        var header: ImageHeader
        var orientation: Orientation
        /// The output's size before the size cap, upright.
        var target: (width: Int, height: Int)
        /// The M of a JPEG's M/8 DCT-scaled decode (8 for every other format).
        var scale: Int
        var limits: DecodeLimits
        var background: RGBColor
        /// A JPEG or PNG that shrinks is resized as it decodes: its decoded raster (36 MB for a
        /// 12 MP phone photo) is never held, only the few rows the vertical filter still needs.
        var stream: Resampler.Stream?

        init(header: ImageHeader, orientation: Orientation, options: PrepareOptions) {
            self.header = header
            self.orientation = orientation
            target = PhotoProcessor.targetSize(width: header.width, height: header.height, maxSide: options.maxSide)
            scale = header.format == .jpeg
                ? PhotoProcessor.dctScale(longSide: max(header.width, header.height), target: max(target.width, target.height))
                : 8
            limits = DecodeLimits(maxPixels: options.maxPixels)
            background = options.background
            let decodedSize = ImageDecoder.decodedSize(of: header, scaleEighths: scale)
            stream = ImageDecoder.canStream(header.format)
                && (decodedSize.width != target.width || decodedSize.height != target.height)
                ? Resampler.Stream(sourceWidth: decodedSize.width, sourceHeight: decodedSize.height,
                                   width: target.width, height: target.height, orientation: orientation)
                : nil
        }

        /// A decoded raster resized to the target and turned upright.
        func resize(_ pixels: PixelBuffer) -> PixelBuffer {
            Resampler.resize(pixels, width: target.width, height: target.height, orientation: orientation)
        }
    }

    /// Decodes the photo (into the plan's stream when it has one) and records what the decoder
    /// said: its warnings, several images or frames, the colour profile.
    private func decode(_ source: SourceFile, _ plan: DecodePlan, _ photo: inout PhotoOutcome) throws(Stop) -> DecodedImage {
        let decoded: DecodedImage
        do {
            if let stream = plan.stream {
                decoded = try ImageDecoder.decode(
                    source.isWhole ? .data(source.data) : .file(path: source.reopenPath), format: plan.header.format,
                    scaleEighths: plan.scale, limits: plan.limits, background: plan.background, into: stream)
            } else {
                decoded = try decodeWhole(source, plan)
            }
        } catch {
            throw Stop(finding: Self.finding(for: error))
        }
        for warning in decoded.warnings {
            photo.findings.append(Finding(.decoderWarning, .warning, warning))
        }
        if decoded.imageCount > 1 {
            let what = plan.header.format == .webp
                ? "an animation of \(decoded.imageCount) frames; the first" : "\(decoded.imageCount) images; the primary one"
            photo.findings.append(Finding(.multiImage, .warning, "holds \(what) is used"))
        }
        if let profile = decoded.profile {
            photo.colorProfile = decoded.colorConverted ? "\(profile) → sRGB" : profile
        }
        return decoded
    }

    /// The whole decoded raster: for photos that are not streamed, and for the size cap's rare
    /// second resize of streamed ones. A JPEG not held whole is read from its file.
    private func decodeWhole(_ source: SourceFile, _ plan: DecodePlan) throws(DecodingError) -> DecodedImage {
        try ImageDecoder.decodeWhole(
            source.isWhole ? .data(source.data) : .file(path: source.reopenPath), format: plan.header.format,
            scaleEighths: plan.scale, limits: plan.limits, background: plan.background)
    }

    /// The output's pixels before the size cap: a streamed decode's own, else the raster resized.
    private func resize(_ decoded: DecodedImage, _ plan: DecodePlan) -> PixelBuffer {
        plan.stream != nil ? decoded.pixels : plan.resize(decoded.pixels)
    }

    /// The decoded raster the size cap shrinks from: a streamed photo's is decoded again (rare).
    private func raster(_ decoded: DecodedImage, _ source: SourceFile, _ plan: DecodePlan) throws(DecodingError) -> PixelBuffer {
        plan.stream != nil ? try decodeWhole(source, plan).pixels : decoded.pixels
    }

    /// Too small (an error: the photo needs no output, digest or scores, so it stops before the
    /// resize) and a far-from-square aspect (a warning).
    private func checkSize(_ photo: inout PhotoOutcome) throws(Stop) {
        let width = photo.orientedWidth ?? 0, height = photo.orientedHeight ?? 0
        let shortSide = min(width, height)
        if shortSide < options.minSide {
            photo.findings.append(Finding(.tooSmall, .error,
                "\(width)x\(height): short side \(shortSide) px is under the \(options.minSide) px minimum"))
        }
        let aspect = Double(max(width, height)) / Double(max(1, shortSide))
        if aspect > options.extremeAspect {
            photo.findings.append(Finding(.extremeAspect, .warning,
                "aspect ratio \(String(format: "%.1f", aspect)):1 is beyond \(String(format: "%.0f", options.extremeAspect)):1; faces may be cropped badly"))
        }
        if photo.hasError { throw Stop(finding: nil) }
    }

    /// The quality scores and their warnings.
    private func measureQuality(_ upright: PixelBuffer, _ photo: inout PhotoOutcome) {
        let scores = QualityScores.measure(upright)
        photo.scores = scores
        photo.findings += qualityFindings(scores)
    }

    /// The person checks, when on: no face or several people is an error, and the photo needs no
    /// output.
    private func checkPerson(_ upright: PixelBuffer, _ photo: inout PhotoOutcome) throws(Stop) {
        guard options.personChecks.enabled else { return }
        let person = PersonChecks.inspect(upright, options: options.personChecks, detector: detector, keepFace: keepFaces)
        photo.person = person.report
        photo.faceCrop = person.faceCrop
        photo.findings += person.findings
        if photo.hasError { throw Stop(finding: nil) }
    }

    /// The JPEG under the size cap (``encodeUnderCap(_:original:orientation:)``); when the cap
    /// shrank it, the face boxes follow.
    private func encode(
        _ upright: PixelBuffer, _ plan: DecodePlan, _ photo: inout PhotoOutcome,
        original: () throws(DecodingError) -> PixelBuffer
    ) throws(Stop) -> Data {
        do {
            let (jpeg, encoded, findings) = try encodeUnderCap(upright, original: original, orientation: plan.orientation)
            photo.findings += findings
            photo.output = encoded
            if encoded.width != upright.width {
                photo.person = photo.person?.scaled(by: Double(encoded.width) / Double(upright.width))
            }
            return jpeg
        } catch let error as EncodingError {
            switch error {
            case .doesNotFit: throw Stop(finding: Finding(.outputTooLarge, .error, error.message))
            // The encoder itself failed (a bad argument or memory), as a decoder's failure is told.
            case .failed: throw Stop(finding: Finding(.corrupt, .error, error.description))
            }
        } catch {
            throw Stop(finding: Self.finding(forAny: error))
        }
    }

    /// Hands the JPEG to `emit`; its failure (the disk, not the photo) is the run's.
    private func write(_ jpeg: Data, index: Int, emit: ((Int, Data) throws(StagingError) -> Void)?) -> StagingError? {
        do {
            try emit?(index, jpeg)
            return nil
        } catch {
            return error
        }
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

    /// Lowers quality step by step down to the floor, then reduces the size (from `original`,
    /// the decoded raster, for sharpness), until the JPEG fits `maxBytes`; says so in a finding
    /// when it had to. Throws ``EncodingError/doesNotFit(maxBytes:floorQuality:width:height:)``
    /// when nothing down to the minimum side fits.
    private func encodeUnderCap(
        _ upright: PixelBuffer, original: () throws(DecodingError) -> PixelBuffer, orientation: Orientation
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
                throw EncodingError.doesNotFit(maxBytes: options.maxBytes, floorQuality: floor, width: image.width, height: image.height)
            }
            let (sw, sh) = orientation.orientedSize(width: width, height: height)
            if decodedSource == nil { decodedSource = try original() }
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
        default: finding(for: DecodingError.outOfMemory(detail: fileErrorText(error)))
        }
    }

    static func megabytes(_ bytes: Int) -> String { String(format: "%.1f MB", Double(bytes) / 1_000_000) }
}

extension PersonReport {
    /// The report with its face boxes scaled by `factor` (the size cap shrank the output).
    func scaled(by factor: Double) -> PersonReport {
        var report = self
        report.faces = faces.map {
            Face(x: Int((Double($0.x) * factor).rounded()), y: Int((Double($0.y) * factor).rounded()),
                 width: Int((Double($0.width) * factor).rounded()), height: Int((Double($0.height) * factor).rounded()),
                 confidence: $0.confidence)
        }
        return report
    }
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
