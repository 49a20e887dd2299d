import AstriaMockServer
import Foundation
import TunePrep
import TunePrepDigest

// Fixtures every test target uses: the fake key, folders, JPEG-looking files, a staged set written
// by hand, and a mock server per test. A target of its own (not a product) so the command tests
// and the client tests share one copy.

/// Obviously fake; every test that produces output asserts it is absent.
public let fakeKey = "sd_FAKE_tuneprep_test_key_0000"

public func temporaryFolder(_ label: String = "client") throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("\(label)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir
}

/// A JPEG-looking file: SOI/APP0 header, then deterministic bytes, then EOI.
public func fixtureJPEG(_ index: Int, size: Int = 3000) -> Data {
    var bytes: [UInt8] = [0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10] + Array("JFIF".utf8) + [0x00]
    bytes.reserveCapacity(size)
    var x = UInt32(truncatingIfNeeded: index &* 2_654_435_761 &+ 1)
    while bytes.count < size - 2 {
        x = x &* 1_103_515_245 &+ 12345
        bytes.append(UInt8(truncatingIfNeeded: x >> 16))
    }
    return Data(bytes + [0xFF, 0xD9])
}

public func writeImages(_ names: [String], in dir: URL, size: Int = 3000) throws -> [URL] {
    try names.enumerated().map { index, name in
        let url = dir.appendingPathComponent(name)
        try fixtureJPEG(index + 1, size: size).write(to: url)
        return url
    }
}

public func sha256Hex(_ data: some DataProtocol) -> String {
    SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
}

public func sha256Hex(file url: URL) throws -> String { sha256Hex(try Data(contentsOf: url)) }

public func serverOptions(faults: FaultPlan = FaultPlan(), idempotency: Bool = true) -> MockServerOptions {
    MockServerOptions(apiKey: fakeKey, idempotency: idempotency, deliverCallbacks: false, faults: faults)
}

/// Starts a mock server for one test and always stops it.
public func withServer<T>(
    _ options: MockServerOptions = serverOptions(),
    _ body: (MockAstriaServer) async throws -> T
) async throws -> T {
    let server = try await MockAstriaServer.start(options)
    do {
        let value = try await body(server)
        await server.stop()
        return value
    } catch {
        await server.stop()
        throw error
    }
}

/// A staged set written by hand: JPEG-looking files and a manifest from Manifest's own encoder.
public func writeStagedSet(usable: Bool = true, images: Int = 4, size: Int = 20_000) throws -> URL {
    let dir = try temporaryFolder("staged")
    let names = (1...images).map { String(format: "%02d.jpg", $0) }
    let files = try writeImages(names, in: dir, size: size)
    let options = try JSONSerialization.jsonObject(with: Manifest.makeEncoder().encode(PrepareOptions()))
    let imageEntries: [[String: Any]] = try files.map { file in
        let data = try Data(contentsOf: file)
        return ["source": "/photos/\(file.lastPathComponent)", "verdict": "staged", "orientation_applied": 1, "findings": [],
                "output": ["name": file.lastPathComponent, "sha256": sha256Hex(data), "width": 1024, "height": 1024,
                           "bytes": data.count, "quality": 92]]
    }
    let object: [String: Any] = [
        "schema_version": 1, "tool": ["name": "tuneprep", "version": "0.1.0"], "set_id": "tp-\(UUID().uuidString.prefix(12).lowercased())",
        "options": options, "images": imageEntries, "findings": [],
        "summary": ["inputs": images, "staged": images, "rejected": 0, "warnings": 0, "total_bytes": images * size, "usable": usable],
    ]
    let manifest = try Manifest.makeDecoder().decode(Manifest.self, from: JSONSerialization.data(withJSONObject: object))
    try Manifest.makeEncoder().encode(manifest).write(to: dir.appendingPathComponent(Manifest.fileName))
    return dir
}

/// Whether text holds a C0 or C1 control character (what a terminal would obey).
public func hasControlCharacters(_ text: String) -> Bool {
    text.unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) }
}
