import Crypto
import Foundation

/// A photo file as the pipeline reads it: hashed whole in one streaming pass, with only its
/// beginning kept when it is a large JPEG (the header and EXIF are there, and the decoder reads the
/// rest from the file itself), or all of it otherwise (the other decoders need it whole). A 16 MB
/// JPEG then never sits in memory beside the decoder's own buffers.
struct SourceFile {
    /// How much of a JPEG is kept in memory.
    static let headBytes = 1 << 20

    var size: Int
    var sha256: String
    /// The whole file, or its first `headBytes` bytes.
    var data: Data
    var isWhole: Bool { data.count == size }

    static func read(_ url: URL) throws -> SourceFile {
        let handle = try FileHandle(forReadingFrom: url)
        defer { try? handle.close() }
        var hasher = SHA256()
        var kept = Data()
        var size = 0
        var keepAll: Bool?
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            hasher.update(data: chunk)
            size += chunk.count
            if keepAll == nil { keepAll = ImageFormat.sniff(chunk) != .jpeg }
            if keepAll == true || kept.count < headBytes { kept.append(chunk) }
        }
        return SourceFile(size: size, sha256: hasher.finalize().hex, data: kept)
    }

    /// Reads the rest, for a JPEG whose markers go past the kept beginning.
    mutating func readWhole(_ url: URL) throws {
        data = try Data(contentsOf: url)
        size = data.count
    }
}
