import Foundation
import SystemPackage
#if canImport(Glibc)
import Glibc
#endif

// The system calls TunePrep makes go through swift-system (`FileDescriptor`, `Stat`, `Errno`);
// this file holds what it lacks, typed the same way, and the one translation of a file error
// into the C library's words ("No such file or directory").

/// Runs swift-system calls, whose errors are always `Errno`, with that type.
func systemCall<Result>(_ body: () throws -> Result) throws(Errno) -> Result {
    do {
        return try body()
    } catch let error as Errno {
        throw error
    } catch {
        throw Errno.ioError
    }
}

/// rename(2).
func renameFile(_ from: URL, to: URL) throws(Errno) {
    guard Glibc.rename(from.path, to.path) == 0 else { throw Errno(rawValue: errno) }
}

/// unlink(2).
func unlinkFile(_ url: URL) throws(Errno) {
    guard Glibc.unlink(url.path) == 0 else { throw Errno(rawValue: errno) }
}

/// A file error as the C library says it: an `Errno` as it is, a Foundation error by its POSIX
/// cause, anything else by its description.
func fileErrorText(_ error: any Error) -> String {
    if let error = error as? Errno { return error.description }
    if let error = error as? CocoaError, let underlying = error.userInfo[NSUnderlyingErrorKey] as? NSError {
        return Errno(rawValue: Int32(underlying.code)).description
    }
    return (error as NSError).localizedDescription
}
