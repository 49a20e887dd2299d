import Foundation

/// A request body described up front and read from disk while it is sent, so that a 60 MB upload
/// never sits in memory and its exact size (hence `Content-Length`) is known before the first byte.
public struct RequestBody: Sendable {
    enum Segment: Sendable {
        case bytes([UInt8])
        /// A file sent whole; `size` was read when the body was built, and a file that changes
        /// size before it is sent fails the transfer rather than corrupting the body.
        case file(path: String, size: Int64, name: String)

        var count: Int64 {
            switch self {
            case .bytes(let bytes): Int64(bytes.count)
            case .file(_, let size, _): size
            }
        }
    }

    /// Where a file's bytes lie in the body, for "current file" progress.
    public struct FileSpan: Sendable, Equatable {
        /// The file's upload name.
        public let name: String
        /// Offset of the file's first byte in the body.
        public let start: Int64
        /// Size of the file in bytes.
        public let count: Int64
    }

    /// The `Content-Type` header to send, with the boundary for a multipart body.
    public let contentType: String
    /// Exact size of the body, sent as `Content-Length`.
    public let totalBytes: Int64
    let segments: [Segment]
    /// Where each file lies in the body, in body order.
    public let files: [FileSpan]

    init(contentType: String, segments: [Segment]) {
        self.contentType = contentType
        // Merge neighbouring byte segments so the reader crosses fewer boundaries.
        var merged: [Segment] = []
        for segment in segments {
            if case .bytes(let more) = segment, case .bytes(let previous)? = merged.last {
                merged[merged.count - 1] = .bytes(previous + more)
            } else if case .bytes(let bytes) = segment, bytes.isEmpty {
                continue
            } else {
                merged.append(segment)
            }
        }
        self.segments = merged
        var offset: Int64 = 0
        var files: [FileSpan] = []
        for segment in merged {
            if case .file(_, let size, let name) = segment {
                files.append(FileSpan(name: name, start: offset, count: size))
            }
            offset += segment.count
        }
        self.files = files
        self.totalBytes = offset
    }

    /// A small in-memory body (JSON).
    public init(contentType: String, data: Data) {
        self.init(contentType: contentType, segments: [.bytes([UInt8](data))])
    }

    /// The file being sent (or next to be sent) when `offset` bytes have gone out, with its
    /// 1-based index; nil once every file has gone.
    public func file(atOffset offset: Int64) -> (index: Int, span: FileSpan)? {
        // Binary search for the first file that ends after `offset`.
        var low = 0, high = files.count
        while low < high {
            let mid = (low + high) / 2
            if files[mid].start + files[mid].count <= offset { low = mid + 1 } else { high = mid }
        }
        guard low < files.count else { return nil }
        return (low + 1, files[low])
    }
}
