import Foundation
import SystemPackage

/// One photo to process: where it is, and the path to show and record for it.
struct PhotoInput: Sendable {
    var url: URL
    var path: String
}

/// Expands files and folders into a stable list of photos: folders recursively, hidden files
/// and folders skipped, each folder's entries in byte order of their names. A file is an input
/// whatever its extension: the format is decided by content. Every other visible entry (a FIFO, a
/// device, a dangling link, a link to a folder) is an input too, so that the report names it;
/// reading it is refused then (`SourceFile`), without ever opening it.
enum InputCollector {
    static func collect(_ arguments: [String]) throws(StagingError) -> [PhotoInput] {
        guard !arguments.isEmpty else { throw .noInputs }
        var inputs: [PhotoInput] = []
        var seen = Set<String>()
        let manager = FileManager.default
        func add(_ url: URL, _ path: String) {
            let key = url.standardizedFileURL.resolvingSymlinksInPath().path
            if seen.insert(key).inserted { inputs.append(PhotoInput(url: url, path: path)) }
        }
        func walk(_ folder: URL, _ shown: String) throws(StagingError) {
            let names: [String]
            do {
                names = try manager.contentsOfDirectory(atPath: folder.path)
            } catch {
                throw .cannotList(shown, reason: fileErrorText(error))
            }
            for name in names.sorted(by: { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }) where !name.hasPrefix(".") {
                let url = folder.appendingPathComponent(name)
                let path = shown.hasSuffix("/") ? shown + name : shown + "/" + name
                // lstat: a link to a folder could loop, so only real folders are walked.
                if (try? Stat(FilePath(url.path), followTargetSymlink: false))?.type == .directory {
                    try walk(url, path)
                } else {
                    add(url, path)
                }
            }
        }
        for argument in arguments {
            let url = URL(fileURLWithPath: argument)
            var isFolder: ObjCBool = false
            if manager.fileExists(atPath: url.path, isDirectory: &isFolder) {
                if isFolder.boolValue { try walk(url, argument) } else { add(url, argument) }
                continue
            }
            // A dangling link given by name is reported as one; a path that is nothing is a usage error.
            guard (try? Stat(FilePath(url.path), followTargetSymlink: false)) != nil else { throw .inputNotFound(argument) }
            add(url, argument)
        }
        // Nothing to check is a mistake in the arguments, not an empty (unusable) set to write.
        guard !inputs.isEmpty else { throw .noPhotosFound(arguments) }
        return inputs
    }
}
