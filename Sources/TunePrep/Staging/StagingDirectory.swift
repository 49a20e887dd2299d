import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Builds a staged set beside its destination and moves it into place in one rename, so a
/// failure or Ctrl-C leaves no half-written set and an existing set untouched until the end.
final class StagingDirectory: @unchecked Sendable {
    let destination: URL
    let workspace: URL
    private let force: Bool
    private let manager = FileManager.default

    init(destination: URL, force: Bool) throws(StagingError) {
        self.destination = destination.standardizedFileURL
        self.force = force
        var isFolder: ObjCBool = false
        if manager.fileExists(atPath: self.destination.path, isDirectory: &isFolder) {
            guard force else { throw .outputExists(destination.path) }
            guard isFolder.boolValue else { throw .cannotWrite(destination.path, reason: "exists and is not a folder") }
        }
        let parent = self.destination.deletingLastPathComponent()
        let token = String(UInt64.random(in: 0...UInt64.max), radix: 36)
        workspace = parent.appendingPathComponent(".\(self.destination.lastPathComponent).partial-\(getpid())-\(token)")
        do {
            try manager.createDirectory(at: parent, withIntermediateDirectories: true)
            try manager.createDirectory(at: workspace, withIntermediateDirectories: false)
        } catch {
            throw .cannotWrite(parent.path, reason: PhotoProcessor.reason(error))
        }
    }

    /// Where an output is written while the set is being built.
    func pendingURL(index: Int) -> URL { workspace.appendingPathComponent("pending-\(index).jpg") }

    /// Writes one output. A failure (a full disk, a quota, an I/O error) is the run's, named by the
    /// folder being written, never the photo's.
    func writePending(index: Int, data: Data) throws(StagingError) {
        do {
            try Self.write(data, to: pendingURL(index: index))
        } catch {
            throw .cannotWrite(destination.path, reason: String(cString: strerror(error.code)))
        }
    }

    /// An errno from a write.
    struct WriteFailure: Error {
        var code: Int32
    }

    /// Writes `data` to a new file, checking every write and the close (where some file systems
    /// report a full disk).
    static func write(_ data: Data, to url: URL) throws(WriteFailure) {
        let descriptor = open(url.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw WriteFailure(code: errno) }
        var failure: Int32 = 0
        data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let written = Glibc.write(descriptor, raw.baseAddress! + offset, raw.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    failure = errno
                    return
                }
                offset += written
            }
        }
        if close(descriptor) != 0, failure == 0 { failure = errno }
        if failure != 0 {
            unlink(url.path)
            throw WriteFailure(code: failure)
        }
    }

    /// Names the kept outputs, drops the rest, writes the manifest and moves the set into place.
    func commit(kept: [(index: Int, name: String)], manifest: Manifest) throws(StagingError) {
        do {
            var keptIndexes = Set<Int>()
            for (index, name) in kept {
                try manager.moveItem(at: pendingURL(index: index), to: workspace.appendingPathComponent(name))
                keptIndexes.insert(index)
            }
            for name in try manager.contentsOfDirectory(atPath: workspace.path) where name.hasPrefix("pending-") {
                try manager.removeItem(at: workspace.appendingPathComponent(name))
            }
            let json = try Manifest.makeEncoder().encode(manifest)
            try Self.write(json + Data("\n".utf8), to: workspace.appendingPathComponent(Manifest.fileName))
        } catch let error as WriteFailure {
            throw .cannotWrite(workspace.path, reason: String(cString: strerror(error.code)))
        } catch {
            throw .cannotWrite(workspace.path, reason: PhotoProcessor.reason(error))
        }
        try moveIntoPlace()
    }

    private func moveIntoPlace() throws(StagingError) {
        if rename(workspace.path, destination.path) == 0 { return }
        let firstError = errno
        // An existing (replaceable) set: swap the two in one step where the kernel allows,
        // else move the old one aside first.
        guard force, firstError == EEXIST || firstError == ENOTEMPTY else {
            throw .cannotWrite(destination.path, reason: String(cString: strerror(firstError)))
        }
        let aside = workspace.deletingLastPathComponent()
            .appendingPathComponent(".\(destination.lastPathComponent).replaced-\(getpid())")
        guard rename(destination.path, aside.path) == 0 else {
            throw .cannotWrite(destination.path, reason: String(cString: strerror(errno)))
        }
        guard rename(workspace.path, destination.path) == 0 else {
            let reason = String(cString: strerror(errno))
            _ = rename(aside.path, destination.path)
            throw .cannotWrite(destination.path, reason: reason)
        }
        try? manager.removeItem(at: aside)
    }

    func discard() {
        try? manager.removeItem(at: workspace)
    }
}
