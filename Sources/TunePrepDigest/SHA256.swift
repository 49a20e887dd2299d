import CTunePrepDigest
import Foundation

/// A digest's bytes, for code that formats any digest (as TunePrep's `hex` does).
public protocol Digest: Sequence, Sendable, Hashable where Element == UInt8 {
    /// Length of the digest in bytes.
    static var byteCount: Int { get }
}

/// A SHA-256 digest: 32 bytes.
public struct SHA256Digest: Digest {
    /// A SHA-256 digest is 32 bytes long.
    public static let byteCount = 32
    /// The digest's 32 bytes, in order.
    public let bytes: [UInt8]

    /// Iterates over the digest's bytes.
    public func makeIterator() -> IndexingIterator<[UInt8]> { bytes.makeIterator() }

    /// Lowercase hexadecimal, 64 characters.
    public var hexString: String { bytes.map { String(format: "%02x", $0) }.joined() }
}

/// SHA-256 through the system's libcrypto (OpenSSL), with the CPU's SHA instructions where it
/// has them: the same calls as swift-crypto's `SHA256` that TunePrep used, without building
/// BoringSSL. A value type: a copy hashes on independently of the original.
public struct SHA256: Sendable {
    private var context: Context

    /// Starts an empty hash.
    public init() { context = Context() }

    /// The digest of `data` in one call.
    public static func hash(data: some DataProtocol) -> SHA256Digest {
        var hasher = SHA256()
        hasher.update(data: data)
        return hasher.finalize()
    }

    /// Adds `data` to the hash.
    public mutating func update(data: some DataProtocol) {
        if !isKnownUniquelyReferenced(&context) { context = context.copy() }
        for region in data.regions {
            region.withUnsafeBytes { context.update($0) }
        }
    }

    /// Adds the bytes at `bufferPointer` to the hash, without copying them.
    public mutating func update(bufferPointer: UnsafeRawBufferPointer) {
        if !isKnownUniquelyReferenced(&context) { context = context.copy() }
        context.update(bufferPointer)
    }

    /// The digest of everything given so far (more may be given after).
    public func finalize() -> SHA256Digest {
        var bytes = [UInt8](repeating: 0, count: SHA256Digest.byteCount)
        let ok = bytes.withUnsafeMutableBufferPointer { CTunePrepDigest_sha256_final(context.pointer, $0.baseAddress) }
        // Fails only when libcrypto cannot allocate or has no SHA-256: nothing sensible follows.
        precondition(ok == 1, "libcrypto could not finish a SHA-256 digest")
        return SHA256Digest(bytes: bytes)
    }

    /// Owns the C context; copied before a write when shared (copy on write).
    private final class Context: @unchecked Sendable {
        let pointer: OpaquePointer

        init() {
            guard let pointer = CTunePrepDigest_sha256_new() else { fatalError("libcrypto could not start a SHA-256 digest") }
            self.pointer = pointer
        }

        private init(pointer: OpaquePointer) { self.pointer = pointer }

        func copy() -> Context {
            guard let copied = CTunePrepDigest_sha256_copy(pointer) else { fatalError("libcrypto could not copy a SHA-256 digest") }
            return Context(pointer: copied)
        }

        func update(_ buffer: UnsafeRawBufferPointer) {
            guard let base = buffer.baseAddress, buffer.count > 0 else { return }
            precondition(CTunePrepDigest_sha256_update(pointer, base, buffer.count) == 1, "libcrypto SHA-256 update failed")
        }

        deinit { CTunePrepDigest_sha256_free(pointer) }
    }
}
