import CTunePrepImaging
import Foundation

/// Why no JPEG came out: the encoder failed, or no quality and size within the limits fits the
/// byte cap.
public enum EncodingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The encoder failed, from a bad argument or memory: what it reported, or its status code
    /// when it said nothing.
    case failed(String)
    /// Even at `floorQuality` and `width` x `height` px, the smallest size tried before the short
    /// side would go under the minimum, the JPEG is over `maxBytes`.
    case doesNotFit(maxBytes: Int, floorQuality: Int, width: Int, height: Int)

    /// What went wrong, without the stage's name.
    public var message: String {
        switch self {
        case .failed(let message): message
        case .doesNotFit(let maxBytes, let floor, let width, let height):
            "cannot fit \(PhotoProcessor.megabytes(maxBytes)) even at quality \(floor) and \(width)x\(height) px"
        }
    }

    public var description: String {
        switch self {
        case .failed(let message): "JPEG encoding failed: \(message)"
        case .doesNotFit: message
        }
    }

    /// An encoder's failure (the fixtures' encoders use it too).
    package init(message: String) { self = .failed(message) }
}

/// The encoding stage: baseline JFIF, 8-bit, standard or optimised Huffman tables, no metadata at all, so
/// GPS and the rest of EXIF never leave the machine. Output is a function of the pixels and
/// the options alone.
public enum JPEGEncoder {
    /// How to encode: quality, chroma subsampling and Huffman tables.
    public struct Options: Sendable {
        /// JPEG quality, 1-100.
        public var quality: Int
        /// True for 4:4:4 chroma (full colour resolution), false for 4:2:0.
        public var fullChroma: Bool
        /// Writes a progressive JPEG; only test fixtures use it, TunePrep's outputs are baseline.
        public var progressive = false
        /// Fits Huffman tables to the image: about 8% smaller, about 2.5 times slower.
        public var optimizeHuffman = false
        /// Fixtures only (TunePrepSamples): APP1 (EXIF) and APP2 (ICC) payloads to write.
        /// TunePrep's outputs carry neither.
        package var app1: [UInt8]? = nil
        package var app2: [UInt8]? = nil

        /// Options for a baseline JPEG at the given quality, chroma and Huffman choice.
        public init(quality: Int, fullChroma: Bool, optimizeHuffman: Bool = false) {
            self.quality = quality
            self.fullChroma = fullChroma
            self.optimizeHuffman = optimizeHuffman
        }
    }

    /// Encodes an RGB image to JPEG bytes, with no metadata.
    public static func encode(_ image: PixelBuffer, options: Options) throws(EncodingError) -> Data {
        try encode(pixels: image.pixels, width: image.width, height: image.height, components: 3, options: options)
    }

    /// Encodes packed samples of 1 (gray), 3 (RGB) or 4 (CMYK) components; `adobeCMYK` stores
    /// CMYK inverted with an Adobe marker, as Photoshop does (the caller inverts the samples).
    package static func encode(
        pixels: UnsafePointer<UInt8>, width: Int, height: Int, components: Int, options: Options,
        adobeCMYK: Bool = false
    ) throws(EncodingError) -> Data {
        var report = CTunePrepImaging_report()
        var output: UnsafeMutablePointer<UInt8>?
        var size = 0
        let status: CTunePrepImaging_status = {
            let app1 = options.app1 ?? [], app2 = options.app2 ?? []
            return app1.withUnsafeBufferPointer { app1Pointer in
                app2.withUnsafeBufferPointer { app2Pointer in
                    var c = CTunePrepImaging_jpeg_encode_options(
                        quality: Int32(options.quality), chroma_444: options.fullChroma ? 1 : 0, optimize_coding: options.optimizeHuffman ? 1 : 0,
                        progressive: options.progressive ? 1 : 0, input_components: Int32(components),
                        write_adobe_marker: adobeCMYK ? 1 : 0,
                        app1: app1.isEmpty ? nil : app1Pointer.baseAddress, app1_size: app1.count,
                        app2: app2.isEmpty ? nil : app2Pointer.baseAddress, app2_size: app2.count)
                    return CTunePrepImaging_jpeg_encode(pixels, UInt32(width), UInt32(height), &c, &output, &size, &report)
                }
            }
        }()
        guard status == CTunePrepImaging_OK, let output else {
            let message = withUnsafeBytes(of: &report.message) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            throw EncodingError(message: message.isEmpty ? "status \(status.rawValue)" : message)
        }
        defer { CTunePrepImaging_free(output) }
        return Data(bytes: output, count: size)
    }
}
