import CTunePrepImaging
import Foundation
import TunePrep

/// Encoders for making test photos and samples in every shape TunePrep must read: JPEG in gray,
/// RGB and CMYK (plain or Adobe-inverted), progressive, with EXIF; PNG in every colour type and
/// bit depth, interlaced or not, with palette transparency and eXIf; lossless WebP; and a Display
/// P3 profile to embed. Not used for outputs.
public enum FixtureEncoder {
    /// The colour model of a JPEG fixture's samples; `adobeCMYK` is CMYK stored inverted with an Adobe marker.
    public enum JPEGColor: Sendable { case gray, rgb, cmyk, adobeCMYK }

    /// `samples` are packed: 1 byte a pixel for gray, 3 for RGB, 4 for CMYK (ink amounts, 0 = none;
    /// inverted here for Adobe CMYK, as Photoshop stores it).
    public static func jpeg(
        samples: [UInt8], width: Int, height: Int, color: JPEGColor = .rgb, quality: Int = 90,
        progressive: Bool = false, fullChroma: Bool = false, app1: [UInt8]? = nil, iccProfile: [UInt8]? = nil
    ) throws -> Data {
        // Fitted tables, as the committed samples were made: `make-samples` reproduces them byte for byte.
        var options = JPEGEncoder.Options(quality: quality, fullChroma: fullChroma, optimizeHuffman: true)
        options.progressive = progressive
        options.app1 = app1
        // ICC_PROFILE APP2: the signature, then chunk 1 of 1 (profiles over 64 kB are not needed here).
        options.app2 = iccProfile.map { Array("ICC_PROFILE".utf8) + [0, 1, 1] + $0 }
        let components: Int
        var input = samples
        switch color {
        case .gray: components = 1
        case .rgb: components = 3
        case .cmyk: components = 4
        case .adobeCMYK:
            components = 4
            input = samples.map { 255 - $0 }
        }
        precondition(input.count == width * height * components, "sample count does not match the size")
        return try input.withUnsafeBufferPointer { buffer in
            try JPEGEncoder.encode(
                pixels: buffer.baseAddress!, width: width, height: height, components: components,
                options: options, adobeCMYK: color == .adobeCMYK)
        }
    }

    /// A Display P3 ICC profile (made with LittleCMS) to embed in fixtures.
    public static func displayP3Profile() throws -> [UInt8] {
        var output: UnsafeMutablePointer<UInt8>?
        var size = 0
        guard CTunePrepImaging_display_p3_profile(&output, &size) == CTunePrepImaging_OK, let output else {
            throw EncodingError(message: "cannot make a Display P3 profile")
        }
        defer { CTunePrepImaging_free(output) }
        return Array(UnsafeBufferPointer(start: output, count: size))
    }

    /// Lossless WebP of packed RGB.
    public static func webp(rgb: [UInt8], width: Int, height: Int) throws -> Data {
        var output: UnsafeMutablePointer<UInt8>?
        var size = 0
        let status = rgb.withUnsafeBufferPointer { CTunePrepImaging_webp_encode_lossless($0.baseAddress, UInt32(width), UInt32(height), &output, &size) }
        guard status == CTunePrepImaging_OK, let output else { throw EncodingError(message: "WebP fixture encode failed") }
        defer { CTunePrepImaging_free(output) }
        return Data(bytes: output, count: size)
    }

    /// PNG colour types, with their values in the PNG header.
    public enum PNGColor: Int32, Sendable { case gray = 0, rgb = 2, palette = 3, grayAlpha = 4, rgba = 6 }

    /// `samples` are packed rows as PNG stores them (big-endian 16-bit, bit-packed under 8 bits).
    public static func png(
        samples: [UInt8], width: Int, height: Int, color: PNGColor, bitDepth: Int = 8, interlaced: Bool = false,
        palette: [UInt8] = [], transparency: [UInt8] = [], exif: [UInt8]? = nil
    ) throws -> Data {
        var report = CTunePrepImaging_report()
        var output: UnsafeMutablePointer<UInt8>?
        var size = 0
        let status = samples.withUnsafeBufferPointer { samplePointer in
            palette.withUnsafeBufferPointer { palettePointer in
                transparency.withUnsafeBufferPointer { transparencyPointer in
                    (exif ?? []).withUnsafeBufferPointer { exifPointer in
                        var options = CTunePrepImaging_png_encode_options(
                            color_type: color.rawValue, bit_depth: Int32(bitDepth), interlaced: interlaced ? 1 : 0,
                            palette: palette.isEmpty ? nil : palettePointer.baseAddress, palette_entries: Int32(palette.count / 3),
                            transparency: transparency.isEmpty ? nil : transparencyPointer.baseAddress,
                            transparency_entries: Int32(transparency.count),
                            exif: exif == nil ? nil : exifPointer.baseAddress, exif_size: exif?.count ?? 0)
                        return CTunePrepImaging_png_encode(
                            samplePointer.baseAddress, UInt32(width), UInt32(height), &options, &output, &size, &report)
                    }
                }
            }
        }
        guard status == CTunePrepImaging_OK, let output else {
            throw EncodingError(message: "PNG fixture encode failed (status \(status.rawValue))")
        }
        defer { CTunePrepImaging_free(output) }
        return Data(bytes: output, count: size)
    }
}
