import Foundation
import Testing
import TunePrepDigest

/// SHA-256 through the libcrypto shim: the standard test vectors, streaming, and value semantics.
@Suite("SHA-256 (libcrypto)")
struct DigestTests {
    @Test("FIPS 180-2 vectors, in one call and streamed in uneven pieces")
    func vectors() {
        #expect(SHA256.hash(data: Data()).hexString == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hash(data: Data("abc".utf8)).hexString == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        let long = Data("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)
        #expect(SHA256.hash(data: long).hexString == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        var hasher = SHA256()
        let million = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)
        var offset = 0, step = 1
        while offset < million.count {
            let end = min(million.count, offset + step)
            hasher.update(data: million[offset..<end])
            offset = end
            step = step * 3 + 1
        }
        #expect(hasher.finalize().hexString == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
        #expect(Array(SHA256.hash(data: Data("abc".utf8))).count == SHA256Digest.byteCount)
    }

    @Test("a copy hashes on independently; finalize leaves the hasher usable")
    func valueSemantics() {
        var first = SHA256()
        first.update(data: Data("ab".utf8))
        var second = first
        second.update(data: Data("c".utf8))
        #expect(second.finalize() == SHA256.hash(data: Data("abc".utf8)))
        #expect(first.finalize() == SHA256.hash(data: Data("ab".utf8)))
        first.update(data: Data("c".utf8))
        #expect(first.finalize() == second.finalize())
    }
}
