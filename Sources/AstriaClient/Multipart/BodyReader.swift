#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Free functions so the calls are not shadowed by BodyReader's own `read`/`open` methods.
private func systemRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int { read(fd, buffer, count) }
private func systemOpen(_ path: String) -> Int32 { open(path, O_RDONLY | O_CLOEXEC) }
private func systemClose(_ fd: Int32) { _ = close(fd) }
private func errorText() -> String { String(cString: strerror(errno)) }

/// Reads a `RequestBody` sequentially into libcurl's upload buffer, straight from the files with
/// read(2) (no intermediate copies). Used on the one thread that runs the transfer.
final class BodyReader {
    struct Failure: Error {
        let path: String
        let reason: String
    }

    let body: RequestBody
    private var segmentIndex = 0
    private var segmentOffset: Int64 = 0
    private var fd: Int32 = -1
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
                if fd < 0 { try open(path, at: segmentOffset) }
                var n: Int
                repeat { n = systemRead(fd, destination, want) } while n < 0 && errno == EINTR
                if n < 0 { throw Failure(path: path, reason: "read failed: \(errorText())") }
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

    private func open(_ path: String, at offset: Int64) throws(Failure) {
        let opened = systemOpen(path)
        guard opened >= 0 else { throw Failure(path: path, reason: "cannot open: \(errorText())") }
        fd = opened
        if offset > 0, lseek(fd, off_t(offset), SEEK_SET) < 0 {
            throw Failure(path: path, reason: "cannot seek: \(errorText())")
        }
        #if canImport(Glibc)
        // Sequential hint: lets the kernel read ahead aggressively for large photos.
        _ = posix_fadvise(fd, 0, 0, Int32(POSIX_FADV_SEQUENTIAL))
        #endif
    }

    private func closeFile() {
        if fd >= 0 { systemClose(fd); fd = -1 }
    }
}
