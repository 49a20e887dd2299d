import Foundation

/// Whether a file this library did not make decodes as a picture, for a caller that keeps files
/// from elsewhere (the command's picture downloads): the whole file is decoded, at the smallest
/// JPEG scale since only its soundness matters.
public enum DecodeCheck {
    /// Why the file at `path` does not decode as a JPEG, PNG, HEIF or WebP picture; nil when it does.
    public static func problem(atPath path: String, maxPixels: Int = 200_000_000) -> String? {
        let limits = DecodeLimits(maxPixels: maxPixels)
        do {
            let data = try Data(contentsOf: URL(fileURLWithPath: path), options: .mappedIfSafe)
            let format = ImageFormat.sniff(data.prefix(32))
            do throws(DecodingError) {
                if format == .jpeg {
                    _ = try ImageDecoder.decodeJPEG(atPath: path, scaleEighths: 1, limits: limits)
                } else {
                    _ = try ImageDecoder.decode(data, format: format, scaleEighths: 8, limits: limits, background: .white)
                }
                return nil
            } catch {
                return error.description
            }
        } catch {
            return "cannot be read: \(error.localizedDescription)"
        }
    }
}
