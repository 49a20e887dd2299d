import TunePrepDigest
import Foundation
import SystemPackage
#if canImport(Glibc)
import Glibc
#endif

/// Why a path given as a photo could not be read as one. Only regular files (after following
/// links) are opened: a FIFO would block the open or the read, a device like /dev/zero never ends.
enum SourceError: Error, Equatable {
    /// The path is something other than a regular file: `kind` says what ("a FIFO (named pipe)").
    case notAFile(kind: String)
    /// A symbolic link whose target does not exist (or links that loop).
    case brokenLink(target: String, reason: String)
    case unreadable(reason: String)
    /// The file is larger than any image within the limits can be; it was not read past `read`.
    case tooLarge(size: Int, limit: Int)
}

/// A photo file as the pipeline reads it. Opening reads only its first `headBytes` (enough to
/// sniff the format and read a header), so a 3 GB video costs one bounded read. Only a file that is
/// a decodable image within the limits is read further: hashed whole in one streaming pass, with
/// only the beginning kept for a JPEG (the decoder reads the rest from the file itself) and all of
/// it otherwise (the other decoders need it whole).
final class SourceFile {
    /// How much is read before deciding, and how much of a JPEG is kept in memory.
    static let headBytes = 1 << 20

    /// The size from the file's metadata; once the end was read, what was read.
    private(set) var size: Int
    /// The whole file (after `load` for a non-JPEG), or its beginning.
    private(set) var data: Data
    /// Set by `load`, which reads everything.
    private(set) var sha256: String?
    /// True once the end of the file was read.
    private var reachedEnd: Bool
    /// True when `data` is the whole file.
    var isWhole: Bool { reachedEnd && data.count == consumed }
    private let descriptor: FileDescriptor
    private var hasher = SHA256()

    private init(descriptor: FileDescriptor, size: Int) {
        self.descriptor = descriptor
        self.size = size
        data = Data()
        reachedEnd = false
    }

    deinit { try? descriptor.close() }

    /// Opens `url` if it is a regular file after following links, and reads its beginning.
    /// Nothing that is not a regular file is opened, and the open never blocks.
    static func open(_ url: URL) throws(SourceError) -> SourceFile {
        let path = FilePath(url.path)
        let status: Stat
        do {
            status = try Stat(path)
        } catch {
            if let link = try? Stat(path, followTargetSymlink: false), link.type == .symbolicLink {
                let target = (try? FileManager.default.destinationOfSymbolicLink(atPath: url.path)) ?? "?"
                throw .brokenLink(target: target, reason: error == .tooManySymbolicLinkLevels ? "the links loop" : error.description)
            }
            throw .unreadable(reason: error.description)
        }
        guard status.type == .regular else { throw .notAFile(kind: kind(of: status.type)) }
        // Non-blocking: should the path become a FIFO between the stat and the open, the open
        // still returns at once (and the fstat below refuses it).
        let descriptor: FileDescriptor
        do {
            descriptor = try systemCall {
                try FileDescriptor.open(path, .readOnly, options: [.nonBlocking, .closeOnExec, .init(rawValue: O_NOCTTY)])
            }
        } catch {
            throw .unreadable(reason: error.description)
        }
        let opened = try? descriptor.stat()
        guard let opened, opened.type == .regular else {
            try? descriptor.close()
            throw .notAFile(kind: kind(of: opened?.type ?? status.type))
        }
        let file = SourceFile(descriptor: descriptor, size: Int(opened.size))
        try file.read(upTo: headBytes, keep: true)
        return file
    }

    /// A path that opens this very file again (the descriptor's, so a file swapped under the
    /// path since `open` is never read), for decoders that read from a path.
    var reopenPath: String { "/proc/self/fd/\(descriptor.rawValue)" }

    /// Reads more of the file into `data`, up to `limit` bytes in all, for a header that lies
    /// past the beginning.
    func readMore(limit: Int) throws(SourceError) {
        guard !reachedEnd else { return }
        if size > limit { throw .tooLarge(size: size, limit: limit) }
        try read(upTo: limit, keep: true)
        if !reachedEnd { throw .tooLarge(size: max(size, consumed), limit: limit) }
    }

    /// Reads the rest of the file, hashing all of it; `data` becomes the whole file unless
    /// `keepWhole` is false (then only the beginning stays). A file over `limit` bytes is refused
    /// before it is read, or as soon as it grows past `limit`.
    func load(keepWhole: Bool, limit: Int) throws(SourceError) {
        if size > limit { throw .tooLarge(size: size, limit: limit) }
        if !reachedEnd { try read(upTo: limit, keep: keepWhole) }
        if !reachedEnd { throw .tooLarge(size: max(size, consumed), limit: limit) }
        sha256 = hasher.finalize().hex
    }

    /// Bytes read so far (hashed), kept in `data` or not.
    private var consumed = 0

    /// Reads sequentially until `total` bytes were read in all or the file ends.
    private func read(upTo total: Int, keep: Bool) throws(SourceError) {
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while consumed < total {
            let want = min(buffer.count, total - consumed)
            let count: Int
            do {
                count = try systemCall { try buffer.withUnsafeMutableBytes { try descriptor.read(into: UnsafeMutableRawBufferPointer(rebasing: $0[0..<want])) } }
            } catch {
                throw .unreadable(reason: error.description)
            }
            if count == 0 {
                reachedEnd = true
                size = consumed
                return
            }
            let chunk = buffer[0..<count]
            hasher.update(data: chunk)
            if keep || data.count < Self.headBytes { data.append(contentsOf: chunk) }
            consumed += count
        }
        // Stopped at `total`: the file is whole if its metadata says it ends here (a file still
        // growing is taken as it was when read).
        if consumed >= size {
            reachedEnd = true
            size = consumed
        }
    }

    /// The most bytes an image of `pixels` pixels can take: 8 bytes a pixel (a 16-bit RGBA PNG
    /// stored uncompressed) plus 32 MB of metadata (previews, depth and gain maps, a motion
    /// photo's video). Anything larger is not a photo within the limits.
    static func byteLimit(pixels: Int) -> Int {
        let (product, overflow) = max(0, pixels).multipliedReportingOverflow(by: 8)
        return overflow ? Int.max : product.addingReportingOverflow(32 << 20).overflow ? Int.max : product + (32 << 20)
    }

    private static func kind(of type: FileType) -> String {
        switch type {
        case .fifo: "a FIFO (named pipe)"
        case .characterSpecial: "a character device"
        case .blockSpecial: "a block device"
        case .socket: "a socket"
        case .directory: "a folder reached through a link (links to folders are not followed)"
        default: "not a regular file"
        }
    }
}
