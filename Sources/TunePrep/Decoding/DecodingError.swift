/// Why a photo could not be decoded. Each case carries what a person needs to act on it; the
/// file is named by the manifest row its finding goes into (`PhotoProcessor` makes the finding).
public enum DecodingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The content is not a format this build decodes (GIF, TIFF, BMP, AVIF, text, an empty file...).
    case unsupportedFormat(ImageFormat, detail: String)
    /// The data ends before the image does.
    case truncated(ImageFormat, detail: String)
    /// The decoder refused the data.
    case corrupt(ImageFormat, detail: String)
    /// The image declares more pixels than the limit; nothing was allocated for it.
    case tooLarge(width: Int, height: Int, limit: Int)
    /// Structurally abusive (oversized chunks, too many progressive scans).
    case abusive(ImageFormat, detail: String)
    case outOfMemory(detail: String)

    public var description: String {
        switch self {
        case .unsupportedFormat(let format, let detail):
            format == .unknown ? "not a JPEG, PNG, HEIF or WebP image (\(detail))" : "unsupported format \(format.rawValue.uppercased()) (\(detail))"
        case .truncated(let format, let detail): "truncated \(format.rawValue.uppercased()): \(detail)"
        case .corrupt(let format, let detail): "corrupt \(format.rawValue.uppercased()): \(detail)"
        case .tooLarge(let width, let height, let limit):
            "declares \(width)x\(height) pixels (\(megapixels(width * height)) MP), over the \(megapixels(limit)) MP limit"
        case .abusive(let format, let detail): "refused \(format.rawValue.uppercased()): \(detail)"
        case .outOfMemory(let detail): "out of memory: \(detail)"
        }
    }
}

func megapixels(_ pixels: Int) -> String {
    let tenths = (pixels + 50_000) / 100_000
    return "\(tenths / 10).\(tenths % 10)"
}
