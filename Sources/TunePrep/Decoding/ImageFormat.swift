/// Image formats, told apart by their first bytes, never by file name.
public enum ImageFormat: String, Codable, Sendable, CaseIterable {
    case jpeg
    case png
    case heif
    case webp
    case gif
    case tiff
    case bmp
    case avif
    case unknown

    /// Formats this build decodes.
    public var isDecodable: Bool { [.jpeg, .png, .heif, .webp].contains(self) }

    /// Tells the format from the first 32 bytes (magic numbers and the HEIF/AVIF brand); `.unknown` otherwise.
    public static func sniff<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> ImageFormat where Bytes.Index == Int {
        let head = Array(bytes.prefix(32))
        func starts(_ signature: [UInt8], at offset: Int = 0) -> Bool {
            head.count >= offset + signature.count && Array(head[offset..<offset + signature.count]) == signature
        }
        if starts([0xFF, 0xD8, 0xFF]) { return .jpeg }
        if starts([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return .png }
        if starts(Array("RIFF".utf8)) && starts(Array("WEBP".utf8), at: 8) { return .webp }
        if starts(Array("GIF87a".utf8)) || starts(Array("GIF89a".utf8)) { return .gif }
        if starts([0x49, 0x49, 0x2A, 0x00]) || starts([0x4D, 0x4D, 0x00, 0x2A]) { return .tiff }
        if starts(Array("BM".utf8)) && head.count >= 14 { return .bmp }
        if starts(Array("ftyp".utf8), at: 4), head.count >= 12 {
            let brand = String(decoding: head[8..<12], as: UTF8.self)
            if ["avif", "avis"].contains(brand) { return .avif }
            if ["heic", "heix", "heim", "heis", "hevc", "hevx", "mif1", "msf1", "mif2"].contains(brand) { return .heif }
        }
        return .unknown
    }
}
