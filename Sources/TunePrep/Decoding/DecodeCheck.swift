import Foundation

/// Whether a file this library did not make decodes as a picture, for a caller that keeps files
/// from elsewhere (the command's picture downloads): the whole file is decoded, at the smallest
/// JPEG scale since only its soundness matters.
public enum DecodeCheck {
    /// Why the file at `path` does not decode as a JPEG, PNG, HEIF or WebP picture; nil when it does.
    public static func problem(atPath path: String, maxPixels: Int = 200_000_000) -> String? {
        let limits = DecodeLimits(maxPixels: maxPixels)
        // The format from the first bytes; a JPEG is then decoded as it is read, never held whole.
        guard let handle = FileHandle(forReadingAtPath: path) else { return "cannot be opened" }
        let head = (try? handle.read(upToCount: 32)) ?? Data()
        try? handle.close()
        let format = ImageFormat.sniff([UInt8](head))
        do throws(DecodingError) {
            if format == .jpeg {
                _ = try ImageDecoder.decodeJPEG(atPath: path, scaleEighths: 1, limits: limits)
            } else {
                guard let data = try? Data(contentsOf: URL(fileURLWithPath: path), options: .mappedIfSafe) else {
                    return "cannot be read"
                }
                _ = try ImageDecoder.decode(data, format: format, scaleEighths: 8, limits: limits, background: .white)
            }
            return nil
        } catch {
            return error.description
        }
    }
}
