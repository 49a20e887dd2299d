import Foundation

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

    func writePending(index: Int, data: Data) throws {
        try data.write(to: pendingURL(index: index))
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
            try (json + Data("\n".utf8)).write(to: workspace.appendingPathComponent(Manifest.fileName))
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
