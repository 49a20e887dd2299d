import Foundation

/// One generated picture and where it goes: `prompt-<prompt id>-<n>.<jpg|png|webp>` in the
/// output folder, `n` counting from 1 in the prompt's order. The name comes from the ids alone,
/// never from the server's URL, so a hostile path cannot place a file, and a second run finds
/// what the first saved.
public struct PictureFile: Sendable, Equatable {
    /// The prompt that made the picture.
    public var promptID: Int
    /// 1-based position in the prompt's `images`.
    public var index: Int
    /// Where the service serves it (object storage).
    public var url: String
    /// The saved file's path (its extension is the format found in its bytes).
    public var path: String
    /// The file's size in bytes.
    public var bytes: Int64

    /// The file name without its extension.
    static func stem(promptID: Int, index: Int) -> String { "prompt-\(promptID)-\(index)" }
}

/// A picture that could not be saved, and why.
public struct DownloadFailure: Error, Sendable, Equatable, CustomStringConvertible {
    /// The prompt that made the picture.
    public var promptID: Int
    /// 1-based position in the prompt's `images`.
    public var index: Int
    /// The URL it was fetched from, escaped for a terminal.
    public var url: String
    /// What went wrong, with the values.
    public var reason: String

    public var description: String { "prompt \(promptID) picture \(index) (\(url)): \(reason)" }
}

/// What a download run did: the pictures saved now, those already there, those that failed.
public struct DownloadReport: Sendable, Equatable {
    /// Fetched and written by this run.
    public var saved: [PictureFile] = []
    /// Already in the folder, complete and readable: not fetched again.
    public var alreadyThere: [PictureFile] = []
    /// Not saved; the run goes on with the others.
    public var failed: [DownloadFailure] = []
}

/// What a download run reports as it goes.
public enum DownloadEvent: Sendable {
    /// The pictures to fetch and those already there, once, before any transfer.
    case planned(toFetch: Int, alreadyThere: Int)
    /// A picture written (`bytes` of it).
    case saved(PictureFile)
    /// A picture already in the folder, not fetched.
    case skipped(PictureFile)
    /// A picture that could not be saved.
    case failed(DownloadFailure)
    /// Bytes received so far across the run's transfers (at most a few per second).
    case bytes(Int64)
    /// A transient failure; the picture is fetched again after `wait`.
    case retrying(DownloadFailure, wait: Duration)
}

/// Settings of a download run.
public struct DownloadOptions: Sendable {
    /// Pictures fetched at once.
    public var concurrency: Int = 4
    /// A picture larger than this is refused (generated pictures are a few MB; upscaled ones tens).
    public var maxPictureBytes: Int64 = 200 * 1024 * 1024
    /// A further check of a saved or found file (the command decodes it with TunePrep): returns
    /// why the file is not a usable picture, or nil. Without it, the file's structure is checked
    /// (signature and end marker).
    public var verify: (@Sendable (String) -> String?)? = nil

    /// Four at once, 200 MB per picture at most, the structural check only.
    public init() {}
}

/// Reads a picture file's format from its bytes and checks that it is whole: a JPEG ends with
/// its end-of-image marker, a PNG with its IEND chunk, a WebP's RIFF size is the file's.
enum PictureCheck {
    enum Format: String { case jpeg = "jpg", png, webp }

    /// The format, or why the file is not a whole JPEG, PNG or WebP picture.
    static func check(path: String) -> Result<Format, Failure> {
        guard let handle = FileHandle(forReadingAtPath: path) else { return .failure(Failure("cannot be opened")) }
        defer { try? handle.close() }
        guard let size = try? handle.seekToEnd(), size >= 16 else { return .failure(Failure("too short to be a picture")) }
        guard (try? handle.seek(toOffset: 0)) != nil, let head = try? handle.read(upToCount: 16),
              (try? handle.seek(toOffset: size - 16)) != nil, let tail = try? handle.read(upToCount: 16),
              head.count == 16, tail.count == 16 else {
            return .failure(Failure("cannot be read"))
        }
        let h = [UInt8](head), t = [UInt8](tail)
        if h.starts(with: [0xFF, 0xD8, 0xFF]) {
            // Some encoders pad after the end marker; accept zero bytes after it.
            let trimmed = t.reversed().drop { $0 == 0 }.reversed()
            return trimmed.suffix(2).elementsEqual([0xFF, 0xD9]) ? .success(.jpeg) : .failure(Failure("a JPEG cut short (no end-of-image marker)"))
        }
        if h.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) {
            return t.suffix(8).elementsEqual([0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82]) ? .success(.png) : .failure(Failure("a PNG cut short (no IEND chunk)"))
        }
        if h.starts(with: Array("RIFF".utf8)), h[8..<12].elementsEqual(Array("WEBP".utf8)) {
            let riff = UInt64(h[4]) | UInt64(h[5]) << 8 | UInt64(h[6]) << 16 | UInt64(h[7]) << 24
            return riff + 8 == size ? .success(.webp) : .failure(Failure("a WebP of \(size) bytes whose header says \(riff + 8)"))
        }
        return .failure(Failure("not a JPEG, PNG or WebP picture"))
    }

    struct Failure: Error {
        var reason: String
        init(_ reason: String) { self.reason = reason }
    }
}
