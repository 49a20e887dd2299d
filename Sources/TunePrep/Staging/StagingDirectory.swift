import Foundation
import SystemPackage
#if canImport(Glibc)
import Glibc
#endif

/// Builds a staged set beside its destination and moves it into place in one rename, so a
/// failure or Ctrl-C leaves no half-written set and an existing set untouched until the end.
/// What a killed run (SIGKILL, a power loss) leaves beside the set is removed by the next run to
/// the same destination, once its owner process is gone.
final class StagingDirectory: @unchecked Sendable {
    let destination: URL
    let workspace: URL
    /// Names of the leftovers of killed runs removed before this one started.
    let removedLeftovers: [String]
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
        // After the checks above: a refused run changes nothing.
        removedLeftovers = Self.removeLeftovers(of: self.destination)
        let token = String(UInt64.random(in: 0...UInt64.max), radix: 36)
        workspace = parent.appendingPathComponent(".\(self.destination.lastPathComponent).partial-\(getpid())-\(token)")
        do {
            try manager.createDirectory(at: parent, withIntermediateDirectories: true)
            try manager.createDirectory(at: workspace, withIntermediateDirectories: false)
        } catch {
            throw .cannotWrite(parent.path, reason: fileErrorText(error))
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
            throw .cannotWrite(destination.path, reason: error.description)
        }
    }

    /// Writes `data` to a new file, checking every write and the close (where some file systems
    /// report a full disk); a file not written whole is removed.
    static func write(_ data: Data, to url: URL) throws(Errno) {
        let file = try systemCall {
            try FileDescriptor.open(
                FilePath(url.path), .writeOnly, options: [.create, .exclusiveCreate, .closeOnExec],
                permissions: [.ownerReadWrite, .groupRead, .otherRead])
        }
        var failure: Errno?
        do { _ = try systemCall { try file.writeAll(data) } } catch { failure = error }
        do { try systemCall { try file.close() } } catch { failure = failure ?? error }
        if let failure {
            try? unlinkFile(url)
            throw failure
        }
    }

    /// Names the kept outputs, drops the rest, writes the manifest and moves the set into place.
    /// Returns the manifest as written: with the leftovers this run removed.
    @discardableResult
    func commit(kept: [(index: Int, name: String)], manifest: Manifest) throws(StagingError) -> Manifest {
        var manifest = manifest
        if !removedLeftovers.isEmpty { manifest.removedLeftovers = removedLeftovers }
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
        } catch {
            throw .cannotWrite(workspace.path, reason: fileErrorText(error))
        }
        try moveIntoPlace()
        return manifest
    }

    private func moveIntoPlace() throws(StagingError) {
        do {
            try renameFile(workspace, to: destination)
            return
        } catch let error where force && (error == .fileExists || error == .directoryNotEmpty) {
            // An existing (replaceable) set: move the old one aside first.
        } catch {
            throw .cannotWrite(destination.path, reason: error.description)
        }
        let aside = workspace.deletingLastPathComponent()
            .appendingPathComponent(".\(destination.lastPathComponent).replaced-\(getpid())")
        do {
            try renameFile(destination, to: aside)
        } catch {
            throw .cannotWrite(destination.path, reason: error.description)
        }
        do {
            try renameFile(workspace, to: destination)
        } catch {
            try? renameFile(aside, to: destination)
            throw .cannotWrite(destination.path, reason: error.description)
        }
        try? manager.removeItem(at: aside)
    }

    func discard() {
        try? manager.removeItem(at: workspace)
    }

    // MARK: Leftovers of killed runs

    /// Removes `.NAME.partial-PID-TOKEN` folders (a set being built) and, when NAME exists,
    /// `.NAME.replaced-PID` folders (a replaced set whose removal was cut short) whose process is
    /// gone; returns their names. One whose owner may still run is kept: two runs to the same
    /// folder at once never delete each other's work.
    static func removeLeftovers(of destination: URL) -> [String] {
        let parent = destination.deletingLastPathComponent()
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: parent.path) else { return [] }
        let destinationExists = FileManager.default.fileExists(atPath: destination.path)
        var removed: [String] = []
        for name in names.sorted() {
            guard let leftover = Leftover(name: name, destinationName: destination.lastPathComponent) else { continue }
            // A replaced set with no set in its place is the only copy: never removed.
            if leftover.isReplacedSet && !destinationExists { continue }
            let url = parent.appendingPathComponent(name)
            // Only a real folder: a link of that name is not ours to follow.
            guard let type = try? FileManager.default.attributesOfItem(atPath: url.path)[.type] as? FileAttributeType,
                  type == .typeDirectory else { continue }
            if ownerMayRun(leftover.pid, leftover: url) { continue }
            if (try? FileManager.default.removeItem(at: url)) != nil { removed.append(name) }
        }
        return removed
    }

    /// A name this class gives its working folders, for one destination.
    struct Leftover: Equatable {
        var pid: pid_t
        var isReplacedSet: Bool

        init?(name: String, destinationName: String) {
            let base = "." + destinationName
            let digits = Set("0123456789"), tokenCharacters = Set("0123456789abcdefghijklmnopqrstuvwxyz")
            if name.hasPrefix(base + ".partial-") {
                let parts = name.dropFirst(base.count + ".partial-".count).split(separator: "-", omittingEmptySubsequences: false)
                guard parts.count == 2, !parts[1].isEmpty, parts[1].allSatisfy(tokenCharacters.contains),
                      parts[0].allSatisfy(digits.contains), let pid = pid_t(parts[0]), pid > 0 else { return nil }
                self.pid = pid
                isReplacedSet = false
            } else if name.hasPrefix(base + ".replaced-") {
                let rest = name.dropFirst(base.count + ".replaced-".count)
                guard rest.allSatisfy(digits.contains), let pid = pid_t(rest), pid > 0 else { return nil }
                self.pid = pid
                isReplacedSet = true
            } else {
                return nil
            }
        }
    }

    /// Whether the run that made `leftover` may still be going: process `pid` exists (EPERM means
    /// it does, as another user's) and started no later than the leftover was last changed. A
    /// process that started after that only reuses the number (a restarted container numbers its
    /// processes from 1 again), so its leftover is stale. Without /proc, an existing pid keeps it.
    static func ownerMayRun(_ pid: pid_t, leftover: URL) -> Bool {
        guard kill(pid, 0) == 0 || errno == EPERM else { return false }
        guard let started = processStartTime(pid),
              let modified = (try? FileManager.default.attributesOfItem(atPath: leftover.path))?[.modificationDate] as? Date
        else { return true }
        // Slack: the boot time the start is counted from is known to the second.
        return started.timeIntervalSince(modified) <= 2
    }

    /// When process `pid` started, from /proc/PID/stat (field 22, clock ticks after boot) and
    /// /proc/stat's btime; nil where there is no /proc.
    static func processStartTime(_ pid: pid_t) -> Date? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        // After the command name (which may hold spaces and parentheses), fields start at the 3rd.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 19, let ticks = Double(fields[19]) else { return nil }
        guard let system = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
              let line = system.split(separator: "\n").first(where: { $0.hasPrefix("btime ") }),
              let boot = Double(line.dropFirst("btime ".count)) else { return nil }
        let hertz = Double(sysconf(Int32(_SC_CLK_TCK)))
        guard hertz > 0 else { return nil }
        return Date(timeIntervalSince1970: boot + ticks / hertz)
    }
}
