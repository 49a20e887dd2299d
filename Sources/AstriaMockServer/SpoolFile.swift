import TunePrepDigest
import Foundation
import NIOCore

/// An upload being written to disk as it arrives: writes gathered into 256 KiB blocks (the parser
/// hands over many small slices), the SHA-256 computed on the way and the first bytes kept for
/// sniffing, so nothing of the file stays in memory.
final class SpoolFile {
    let url: URL
    private let handle: FileHandle
    private var pending = Data()
    private var hasher = SHA256()
    private var head = Data()
    private var byteCount = 0
    private static let blockSize = 256 * 1024
    static let headSize = 16

    init(_ url: URL) throws {
        self.url = url
        guard FileManager.default.createFile(atPath: url.path, contents: nil) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: url.path])
        }
        handle = try FileHandle(forWritingTo: url)
    }

    func write(_ bytes: ByteBufferView) throws {
        if head.count < Self.headSize { head.append(contentsOf: bytes.prefix(Self.headSize - head.count)) }
        pending.append(contentsOf: bytes)
        byteCount += bytes.count
        if pending.count >= Self.blockSize { try flush() }
    }

    private func flush() throws {
        guard !pending.isEmpty else { return }
        hasher.update(data: pending)
        try handle.write(contentsOf: pending)
        pending.removeAll(keepingCapacity: true)
    }

    /// Writes what is left and closes the file.
    func finish() throws -> (byteCount: Int, sha256: String, head: Data) {
        try flush()
        try handle.close()
        let digest = hasher.finalize().map { String(format: "%02x", $0) }.joined()
        return (byteCount, digest, head)
    }

    func close() { try? handle.close() }
}
