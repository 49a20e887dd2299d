import CTunePrepImaging
import CTunePrepResample
import Foundation

/// What the header of a photo says, read without decoding its pixels.
public struct ImageHeader: Sendable, Equatable {
    /// The format, told by content.
    public var format: ImageFormat
    /// Size as stored, before orientation.
    public var width: Int
    /// Height as stored, before orientation.
    public var height: Int
    /// Width times height, as stored; compared against `maxPixels` before decoding.
    public var pixelCount: Int { width * height }
}

/// A decoded raster plus what the decoder said on the way.
struct DecodedImage {
    var pixels: PixelBuffer
    /// Recoverable oddities the library reported (e.g. extraneous bytes before a marker).
    var warnings: [String]
    /// The embedded colour profile's description, when there was one.
    var profile: String?
    /// True when the pixels were converted from that profile to sRGB.
    var colorConverted = false
    /// HEIF: top-level images in the file; WebP: animation frames. The first/primary is decoded.
    var imageCount = 1
}

/// Limits that protect the process from hostile files.
struct DecodeLimits {
    var maxPixels: Int
    var maxScans: Int = 1000
    var maxChunkBytes: Int = 8 << 20
    var maxTextBytes: Int = 8 << 20
    /// Convert from embedded ICC profiles (and PNG gAMA) to sRGB.
    var manageColor = true

    var c: CTunePrepImaging_decode_options {
        CTunePrepImaging_decode_options(
            max_pixels: UInt64(max(0, maxPixels)), max_scans: UInt32(maxScans),
            max_chunk_bytes: UInt64(maxChunkBytes), max_text_bytes: UInt64(maxTextBytes),
            manage_color: manageColor ? 1 : 0)
    }
}

/// The decoding stage: JPEG through libjpeg-turbo, PNG through libpng, HEIF through libheif and
/// WebP through libwebp, each behind its C shim (``Codec``: the one place a format picks its
/// entry points). JPEG and PNG can hand their rows to a `Resampler.Stream` as they decode; a JPEG
/// can also be read from its file as it decodes.
enum ImageDecoder {
    /// Reads only the header. Fails for undecodable formats and broken headers.
    static func header(of data: Data, limits: DecodeLimits) throws(DecodingError) -> ImageHeader {
        let format = ImageFormat.sniff(data)
        guard let codec = Codec(format) else { throw unsupported(format, data: data) }
        var report = CTunePrepImaging_report()
        var cLimits = limits.c
        let (status, width, height) = data.withUnsafeBytes { raw in
            codec.readInfo(raw.bindMemory(to: UInt8.self).baseAddress, raw.count, &cLimits, &report)
        }
        try check(status, format: format, report: &report)
        return ImageHeader(format: format, width: Int(width), height: Int(height))
    }

    /// Decodes to RGB. For JPEG, `scaleEighths` (1...16) picks libjpeg-turbo's DCT-domain scale;
    /// the other formats ignore it.
    static func decode(
        _ data: Data, format: ImageFormat, scaleEighths: Int, limits: DecodeLimits, background: RGBColor
    ) throws(DecodingError) -> DecodedImage {
        try decodeWhole(.data(data), format: format, scaleEighths: scaleEighths, limits: limits, background: background)
    }

    /// Decodes a JPEG while reading it from `path`, so the file is never held in memory whole.
    static func decodeJPEG(atPath path: String, scaleEighths: Int, limits: DecodeLimits) throws(DecodingError) -> DecodedImage {
        try decodeWhole(.file(path: path), format: .jpeg, scaleEighths: scaleEighths, limits: limits, background: .white)
    }

    /// Where a photo's bytes come from: memory, or (JPEG only) its file, read as it decodes.
    enum Input {
        case data(Data)
        case file(path: String)
    }

    /// Formats whose decoders can hand their rows to a `Resampler.Stream`.
    static func canStream(_ format: ImageFormat) -> Bool { Codec(format)?.streams ?? false }

    /// The size a photo decodes to: a JPEG at `scaleEighths`/8 as libjpeg-turbo computes it
    /// (rounded up), any other format as stored.
    static func decodedSize(of header: ImageHeader, scaleEighths: Int) -> (width: Int, height: Int) {
        guard header.format == .jpeg else { return (header.width, header.height) }
        return ((header.width * scaleEighths + 7) / 8, (header.height * scaleEighths + 7) / 8)
    }

    /// Decodes the whole raster from `input` (a file only for a JPEG).
    static func decodeWhole(
        _ input: Input, format: ImageFormat, scaleEighths: Int, limits: DecodeLimits, background: RGBColor
    ) throws(DecodingError) -> DecodedImage {
        var image = CTunePrepImaging_rgb_image()
        var report = CTunePrepImaging_report()
        let status = try run(input, format: format, scaleEighths: scaleEighths, limits: limits, background: background,
                             sink: nil, image: &image, report: &report)
        return try finish(status, format: format, image: &image, report: &report)
    }

    /// Decodes a JPEG or PNG straight into `stream`: rows go to the resampler as the decoder
    /// produces them and no decoded raster is kept (an interlaced PNG is the exception: it is
    /// whole before any row is final). The result's pixels are the stream's output, resized and
    /// upright. The stream must be built for `decodedSize(of:scaleEighths:)`.
    static func decode(
        _ input: Input, format: ImageFormat, scaleEighths: Int, limits: DecodeLimits, background: RGBColor,
        into stream: Resampler.Stream
    ) throws(DecodingError) -> DecodedImage {
        var image = CTunePrepImaging_rgb_image()
        var report = CTunePrepImaging_report()
        // A C function as the sink: the decoder's setjmp frame only ever calls into C.
        var sink = CTunePrepImaging_row_sink(
            context: stream.context, write: CTunePrepResample_stream_write,
            expected_width: UInt32(stream.sourceWidth), expected_height: UInt32(stream.sourceHeight))
        let status = try withUnsafePointer(to: &sink) { sink throws(DecodingError) in
            try run(input, format: format, scaleEighths: scaleEighths, limits: limits, background: background,
                    sink: sink, image: &image, report: &report)
        }
        try check(status, format: format, report: &report)
        guard stream.finished else { throw .corrupt(format, detail: "the decoder stopped before the last row") }
        return DecodedImage(
            pixels: stream.output, warnings: warnings(of: &report), profile: profile(of: &image),
            colorConverted: image.color_converted != 0, imageCount: Int(max(1, image.image_count)))
    }

    /// One format's C entry points, behind one signature each: the only switch over formats.
    private struct Codec {
        typealias Limits = CTunePrepImaging_decode_options
        typealias Sink = UnsafePointer<CTunePrepImaging_row_sink>?
        typealias Report = CTunePrepImaging_report
        typealias Image = CTunePrepImaging_rgb_image
        /// Reads the header of the bytes: status, width, height.
        var readInfo: (UnsafePointer<UInt8>?, Int, inout Limits, inout Report) -> (CTunePrepImaging_status, UInt32, UInt32)
        /// Decodes bytes: scale (JPEG), limits, background, sink (nil for none).
        var decode: (UnsafePointer<UInt8>?, Int, Int32, inout Limits, RGBColor, Sink, inout Image, inout Report) -> CTunePrepImaging_status
        /// Decodes from a file while reading it, where the format can (JPEG).
        var decodeFile: ((String, Int32, inout Limits, Sink, inout Image, inout Report) -> CTunePrepImaging_status)?
        /// Whether `decode` takes a sink.
        var streams: Bool

        /// Reads a header into a fresh `info` and answers the status and the size it holds.
        private static func header<Info: SizedInfo>(
            _ info: Info, _ read: (inout Info) -> CTunePrepImaging_status
        ) -> (CTunePrepImaging_status, UInt32, UInt32) {
            var info = info
            let status = read(&info)
            return (status, info.width, info.height)
        }

        init?(_ format: ImageFormat) {
            switch format {
            case .jpeg:
                readInfo = { data, size, _, report in
                    Self.header(CTunePrepImaging_jpeg_info()) { CTunePrepImaging_jpeg_read_info(data, size, &$0, &report) }
                }
                decode = { data, size, scale, limits, _, sink, image, report in
                    CTunePrepImaging_jpeg_decode(data, size, scale, &limits, sink, &image, &report)
                }
                decodeFile = { path, scale, limits, sink, image, report in
                    CTunePrepImaging_jpeg_decode_file(path, scale, &limits, sink, &image, &report)
                }
                streams = true
            case .png:
                readInfo = { data, size, limits, report in
                    Self.header(CTunePrepImaging_png_info()) { CTunePrepImaging_png_read_info(data, size, &limits, &$0, &report) }
                }
                decode = { data, size, _, limits, rgb, sink, image, report in
                    CTunePrepImaging_png_decode(data, size, &limits, rgb.red, rgb.green, rgb.blue, sink, &image, &report)
                }
                streams = true
            case .heif:
                readInfo = { data, size, _, report in
                    Self.header(CTunePrepImaging_heif_info()) { CTunePrepImaging_heif_read_info(data, size, &$0, &report) }
                }
                decode = { CTunePrepImaging_heif_decode($0, $1, &$3, $4.red, $4.green, $4.blue, &$6, &$7) }
                streams = false
            case .webp:
                readInfo = { data, size, _, report in
                    Self.header(CTunePrepImaging_webp_info()) { CTunePrepImaging_webp_read_info(data, size, &$0, &report) }
                }
                decode = { CTunePrepImaging_webp_decode($0, $1, &$3, $4.red, $4.green, $4.blue, &$6, &$7) }
                streams = false
            default:
                return nil
            }
        }
    }

    /// The header structs of the C codecs, by their size.
    fileprivate protocol SizedInfo {
        var width: UInt32 { get }
        var height: UInt32 { get }
    }

    /// Runs `format`'s decoder on `input`, into `sink` when there is one.
    private static func run(
        _ input: Input, format: ImageFormat, scaleEighths: Int, limits: DecodeLimits, background: RGBColor,
        sink: UnsafePointer<CTunePrepImaging_row_sink>?, image: inout CTunePrepImaging_rgb_image,
        report: inout CTunePrepImaging_report
    ) throws(DecodingError) -> CTunePrepImaging_status {
        guard let codec = Codec(format) else {
            if case .data(let data) = input { throw unsupported(format, data: data) }
            throw unsupported(format, data: Data([0]))
        }
        var cLimits = limits.c
        switch input {
        case .data(let data) where sink == nil || codec.streams:
            return data.withUnsafeBytes { raw in
                codec.decode(raw.bindMemory(to: UInt8.self).baseAddress, raw.count, Int32(scaleEighths), &cLimits, background,
                             sink, &image, &report)
            }
        case .file(let path):
            guard let decodeFile = codec.decodeFile else { break }
            return decodeFile(path, Int32(scaleEighths), &cLimits, sink, &image, &report)
        default:
            break
        }
        // Only JPEG and PNG decoders take a sink, and only a JPEG is read from its file.
        throw .unsupportedFormat(format, detail: "cannot be resized while it decodes from this source")
    }

    private static func finish(
        _ status: CTunePrepImaging_status, format: ImageFormat,
        image: inout CTunePrepImaging_rgb_image, report: inout CTunePrepImaging_report
    ) throws(DecodingError) -> DecodedImage {
        try check(status, format: format, report: &report)
        guard let pixels = image.pixels, image.width > 0, image.height > 0 else {
            throw .corrupt(format, detail: "decoder returned no pixels")
        }
        return DecodedImage(
            pixels: PixelBuffer(adopting: pixels, width: Int(image.width), height: Int(image.height)),
            warnings: warnings(of: &report), profile: profile(of: &image),
            colorConverted: image.color_converted != 0, imageCount: Int(max(1, image.image_count)))
    }

    private static func profile(of image: inout CTunePrepImaging_rgb_image) -> String? {
        let name = withUnsafeBytes(of: &image.profile) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        return name.isEmpty ? nil : name
    }

    private static func unsupported(_ format: ImageFormat, data: Data) -> DecodingError {
        if data.isEmpty { return .unsupportedFormat(.unknown, detail: "the file is empty") }
        switch format {
        case .unknown: return .unsupportedFormat(.unknown, detail: "content not recognised as an image")
        default: return .unsupportedFormat(format, detail: "TunePrep decodes JPEG, PNG, HEIF and WebP")
        }
    }

    private static func check(
        _ status: CTunePrepImaging_status, format: ImageFormat, report: inout CTunePrepImaging_report
    ) throws(DecodingError) {
        let detail = message(of: &report)
        switch status {
        case CTunePrepImaging_OK: return
        case CTunePrepImaging_TRUNCATED: throw .truncated(format, detail: detail)
        case CTunePrepImaging_TOO_LARGE:
            // The C side formats the message; re-derive the numbers for a typed error.
            throw .abusive(format, detail: detail)
        case CTunePrepImaging_UNSUPPORTED: throw .unsupportedFormat(format, detail: detail)
        case CTunePrepImaging_NO_MEMORY: throw .outOfMemory(detail: detail)
        case CTunePrepImaging_LIMITS: throw .abusive(format, detail: detail)
        default: throw .corrupt(format, detail: detail)
        }
    }

    private static func message(of report: inout CTunePrepImaging_report) -> String {
        withUnsafeBytes(of: &report.message) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
    }

    private static func warnings(of report: inout CTunePrepImaging_report) -> [String] {
        let stored = withUnsafeBytes(of: &report.warnings) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        var lines = stored.split(separator: "\n").map(String.init)
        let unstored = Int(report.warning_count) - lines.count
        if unstored > 0 { lines.append("and \(unstored) more warnings") }
        return lines
    }
}

extension CTunePrepImaging_jpeg_info: ImageDecoder.SizedInfo {}
extension CTunePrepImaging_png_info: ImageDecoder.SizedInfo {}
extension CTunePrepImaging_heif_info: ImageDecoder.SizedInfo {}
extension CTunePrepImaging_webp_info: ImageDecoder.SizedInfo {}
