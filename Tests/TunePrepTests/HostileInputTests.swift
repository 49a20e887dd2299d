import Foundation
import Testing
@testable import TunePrep

/// Drills for what sits beside photos in a real upload: videos, links that go nowhere, files
/// that lie about their size, PNG chunks that declare a gigabyte. (FIFOs, /dev/zero and a full
/// disk are drilled through the command, in a child process with a timeout and a memory cap:
/// see `HostileCommandTests`.)
@Suite("Hostile inputs")
struct HostileInputTests {
    /// Bytes this process has read through read(2) and friends so far (/proc/self/io `rchar`).
    private func bytesRead() throws -> Int {
        let text = try String(contentsOfFile: "/proc/self/io", encoding: .utf8)
        let line = text.split(separator: "\n").first { $0.hasPrefix("rchar:") }
        return Int(line?.split(separator: " ").last ?? "") ?? 0
    }

    /// A sparse file of `size` bytes starting with `head`: costs no disk, reads as zeros.
    private func sparse(_ head: Data, size: Int, _ name: String, in folder: URL) throws -> URL {
        let url = try Fixtures.write(head, name, in: folder)
        let handle = try FileHandle(forWritingTo: url)
        try handle.truncate(atOffset: UInt64(size))
        try handle.close()
        return url
    }

    /// The first bytes of a QuickTime movie: an `ftyp` box of brand `qt  `, then `wide` and `mdat`.
    private let movieHead = Data([0, 0, 0, 0x14] + Array("ftypqt  ".utf8) + [0, 0, 2, 0] + Array("qt  ".utf8)
        + [0, 0, 0, 8] + Array("wide".utf8) + [0xFF, 0xFF, 0xFF, 0xF0] + Array("mdat".utf8))

    @Test("a 1 GB video beside a photo is refused from its first bytes, never read whole")
    func video() async throws {
        let folder = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        _ = try Fixtures.write(try Fixtures.jpeg(Fixtures.pattern(width: 600, height: 600)), "photos/a.jpg", in: folder)
        _ = try sparse(movieHead, size: 1 << 30, "photos/b.MOV", in: folder)
        let before = try bytesRead()
        let report = try await Preparer(options: Fixtures.smallOptions(), workers: 1).check([folder.appendingPathComponent("photos").path])
        let read = try bytesRead() - before
        #expect(report.images.count == 2)
        #expect(report.images[0].output != nil, "\(report.images[0].findings)")
        let movie = report.images[1]
        #expect(movie.findings.map(\.code) == [.unsupportedFormat], "\(movie.findings)")
        #expect(movie.sourceBytes == 1 << 30 && movie.sourceSha256 == nil, "not hashed, so not read")
        // rchar counts the whole process: other tests read files meanwhile (305 MB seen in one full
        // run on a loaded machine). A whole read of the movie alone is 1024 MB, so 768 MB still fails it.
        #expect(read < 768 << 20, "read \(read >> 20) MB for a photo and a movie")
    }

    @Test("a file that starts like a small image but goes on for 1 GB is refused by its size, unread")
    func oversizedImage() async throws {
        let folder = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let jpeg = try Fixtures.jpeg(Fixtures.pattern(width: 600, height: 600))
        let big = try sparse(jpeg, size: 1 << 30, "tail.jpg", in: folder)
        let pngURL = try sparse(try Fixtures.png(Fixtures.pattern(width: 600, height: 600)), size: 1 << 30, "tail.png", in: folder)
        let before = try bytesRead()
        let report = try await Preparer(options: Fixtures.smallOptions(), workers: 1).check([big.path, pngURL.path])
        let read = try bytesRead() - before
        for image in report.images {
            #expect(image.findings.map(\.code) == [.tooLarge], "\(image.source): \(image.findings)")
            #expect(image.findings.first?.message.contains("more than such an image can take") == true)
            #expect(image.sourceBytes == 1 << 30 && image.sourceWidth == 600)
        }
        // As above: reading either file whole is 1024 MB; other tests' reads stay well under 768 MB.
        #expect(read < 768 << 20, "read \(read >> 20) MB of two 1 GB files")
    }

    @Test("dangling links, links to folders and links that loop are named in the report, not skipped")
    func links() async throws {
        let folder = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let photos = folder.appendingPathComponent("photos")
        let photo = try Fixtures.write(try Fixtures.jpeg(Fixtures.pattern(width: 600, height: 600)), "photos/a.jpg", in: folder)
        let manager = FileManager.default
        try manager.createSymbolicLink(atPath: photos.appendingPathComponent("b-dangling.jpg").path, withDestinationPath: "gone.jpg")
        try manager.createDirectory(at: folder.appendingPathComponent("elsewhere"), withIntermediateDirectories: true)
        try manager.createSymbolicLink(atPath: photos.appendingPathComponent("c-folder").path, withDestinationPath: "../elsewhere")
        try manager.createSymbolicLink(atPath: photos.appendingPathComponent("d-loop").path, withDestinationPath: "d-loop")
        try manager.createSymbolicLink(atPath: photos.appendingPathComponent("e-good-link.jpg").path, withDestinationPath: photo.path)

        let report = try await Preparer(options: Fixtures.smallOptions()).check([photos.path])
        let byName = Dictionary(uniqueKeysWithValues: report.images.map { (($0.source as NSString).lastPathComponent, $0) })
        #expect(report.images.count == 4, "\(report.images.map(\.source))")  // the good link is the same file as a.jpg
        #expect(byName["b-dangling.jpg"]?.findings.map(\.code) == [.brokenLink])
        #expect(byName["b-dangling.jpg"]?.findings.first?.message.contains("gone.jpg") == true)
        #expect(byName["c-folder"]?.findings.map(\.code) == [.notAFile])
        #expect(byName["d-loop"]?.findings.map(\.code) == [.brokenLink])
        #expect(byName["a.jpg"]?.output != nil)

        // Given by name, a dangling link is reported the same way (it exists; its target does not).
        let named = try await Preparer(options: Fixtures.smallOptions()).check([photos.appendingPathComponent("b-dangling.jpg").path])
        #expect(named.images.first?.findings.map(\.code) == [.brokenLink])
    }

    /// A PNG of a 1x1 image followed by one chunk that declares `length` bytes but holds 5.
    private func chunkBomb(_ name: String, length: UInt32) -> Data {
        func chunk(_ type: String, _ body: [UInt8], declared: UInt32? = nil) -> [UInt8] {
            let typed = Array(type.utf8) + body
            let crc = Fixtures.crc32(typed)
            let size = declared ?? UInt32(body.count)
            return [UInt8(size >> 24), UInt8(size >> 16 & 0xFF), UInt8(size >> 8 & 0xFF), UInt8(size & 0xFF)] + typed
                + (declared == nil ? [UInt8(crc >> 24), UInt8(crc >> 16 & 0xFF), UInt8(crc >> 8 & 0xFF), UInt8(crc & 0xFF)] : [])
        }
        let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        let ihdr = chunk("IHDR", [0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0])
        return Data(signature + ihdr + chunk(name, Array("abcde".utf8), declared: length))
    }

    @Test("PNG chunks declaring up to 2 GB in a 46-byte file are refused before libpng allocates for them",
          arguments: ["sPLT", "pCAL", "sCAL", "iCCP", "zTXt", "eXIf", "tEXt", "abCd"])
    func pngChunkBombs(name: String) throws {
        for length: UInt32 in [0x3FFF_FFFF, 0x7FFF_FFFF, 0xFFFF_FFFF] {
            let data = chunkBomb(name, length: length)
            #expect(data.count == 46)
            var usage = rusage()
            getrusage(RUSAGE_SELF.rawValue, &usage)
            let peakBefore = usage.ru_maxrss
            let limits = DecodeLimits(maxPixels: 100_000_000)
            #expect(throws: DecodingError.self, "\(name) declaring \(length)") {
                _ = try ImageDecoder.header(of: data, limits: limits)
            }
            #expect(throws: DecodingError.self, "\(name) declaring \(length)") {
                _ = try ImageDecoder.decode(data, format: .png, scaleEighths: 8, limits: limits, background: .white)
            }
            getrusage(RUSAGE_SELF.rawValue, &usage)
            // ru_maxrss is in kB. Today's libpng path touched a gigabyte for these.
            #expect(usage.ru_maxrss - peakBefore < 500_000, "\(name) declaring \(length) raised the peak by \(usage.ru_maxrss - peakBefore) kB")
        }
    }

    @Test("a PNG's chunk-length lie is named in the finding")
    func pngChunkBombFinding() async throws {
        let folder = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = try Fixtures.write(chunkBomb("sPLT", length: 0x3FFF_FFFF), "bomb.png", in: folder)
        let report = try await Preparer(options: Fixtures.smallOptions()).check([url.path])
        let finding = try #require(report.images.first?.findings.first)
        #expect(finding.code == .corrupt)
        #expect(finding.message.contains("sPLT declares 1073741823 bytes"), "\(finding.message)")
    }

    @Test("byte limit: 8 bytes a pixel plus 32 MB, without overflow")
    func byteLimit() {
        #expect(SourceFile.byteLimit(pixels: 1_000_000) == 8_000_000 + (32 << 20))
        #expect(SourceFile.byteLimit(pixels: Int.max) == Int.max)
        #expect(SourceFile.byteLimit(pixels: -5) == 32 << 20)
    }
}
