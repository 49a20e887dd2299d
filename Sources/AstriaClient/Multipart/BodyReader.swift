import SystemPackage
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a `RequestBody` sequentially into libcurl's upload buffer, straight from the files with
/// read(2) (swift-system's `FileDescriptor`; no intermediate copies). Used on the one thread that
/// runs the transfer.
final class BodyReader {
    struct Failure: Error {
        let path: String
        let reason: String
    }

    let body: RequestBody
    private var segmentIndex = 0
    private var segmentOffset: Int64 = 0
    private var file: FileDescriptor?
    private(set) var position: Int64 = 0

    init(_ body: RequestBody) { self.body = body }

    deinit { closeFile() }

    /// Fills as much of `buffer` as the body has left; 0 means the body is complete.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws(Failure) -> Int {
        var filled = 0
        while filled < buffer.count, segmentIndex < body.segments.count {
            let segment = body.segments[segmentIndex]
            let remaining = segment.count - segmentOffset
            if remaining == 0 {
                closeFile()
                segmentIndex += 1
                segmentOffset = 0
                continue
            }
            let want = Int(min(Int64(buffer.count - filled), remaining))
            let destination = buffer.baseAddress! + filled
            let got: Int
            switch segment {
            case .bytes(let bytes):
                bytes.withUnsafeBytes { source in
                    destination.copyMemory(from: source.baseAddress! + Int(segmentOffset), byteCount: want)
                }
                got = want
            case .file(let path, _, _):
                let file: FileDescriptor
                if let opened = self.file { file = opened } else { file = try open(path, at: segmentOffset) }
                let n: Int
                do {
                    n = try file.read(into: UnsafeMutableRawBufferPointer(start: destination, count: want))
                } catch {
                    throw Failure(path: path, reason: "read failed: \(error)")
                }
                if n == 0 { throw Failure(path: path, reason: "file became shorter while it was being sent") }
                got = n
            }
            filled += got
            segmentOffset += Int64(got)
            position += Int64(got)
        }
        return filled
    }

    /// Moves to an absolute body offset (libcurl asks for this when it must resend the body).
    func seek(to offset: Int64) -> Bool {
        guard offset >= 0, offset <= body.totalBytes else { return false }
        closeFile()
        segmentIndex = body.segments.count
        segmentOffset = 0
        var start: Int64 = 0
        for (index, segment) in body.segments.enumerated() {
            if offset < start + segment.count {
                segmentIndex = index
                segmentOffset = offset - start
                break
            }
            start += segment.count
        }
        position = offset
        return true
    }

    /// Opens the file of a segment at `offset` (errors as the C library says them).
    private func open(_ path: String, at offset: Int64) throws(Failure) -> FileDescriptor {
        let opened: FileDescriptor
        do {
            opened = try FileDescriptor.open(FilePath(path), .readOnly, options: .closeOnExec)
        } catch {
            throw Failure(path: path, reason: "cannot open: \(error)")
        }
        file = opened
        if offset > 0 {
            do {
                try opened.seek(offset: offset, from: .start)
            } catch {
                throw Failure(path: path, reason: "cannot seek: \(error)")
            }
        }
        #if canImport(Glibc)
        // Sequential hint: lets the kernel read ahead aggressively for large photos.
        _ = posix_fadvise(opened.rawValue, 0, 0, Int32(POSIX_FADV_SEQUENTIAL))
        #endif
        return opened
    }

    private func closeFile() {
        try? file?.close()
        file = nil
    }
}
