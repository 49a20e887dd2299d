@testable import AstriaMockServer
import Foundation
import Testing

/// Upload filenames reach the app the way Rack::Multipart hands them to Rails: percent-decoded
/// when every `%` starts a valid escape, as sent otherwise.
@Suite struct FilenameTests {
    /// (as sent in the Content-Disposition header, as Rails sees it)
    static let cases: [(raw: String, decoded: String)] = [
        ("Zoë %22best%22 1.jpg", "Zoë \"best\" 1.jpg"),  // browsers and the client escape `"` as %22
        ("line%0D%0Abreak.jpg", "line\r\nbreak.jpg"),
        ("100%25 sure.jpg", "100% sure.jpg"),
        ("caf%C3%A9 a+b.jpg", "café a+b.jpg"),  // UTF-8 escapes decode; `+` is not a space here
        ("50% off %22x%22.jpg", "50% off %22x%22.jpg"),  // one stray `%`: nothing is decoded
        ("trailing%2.jpg", "trailing%2.jpg"),
        ("bad%FF.jpg", "bad\u{FFFD}.jpg"),  // invalid UTF-8 is replaced, as Rack's scrub does
        ("日本語 写真.jpg", "日本語 写真.jpg"),
    ]

    @Test func decodedLikeRack() {
        for (raw, decoded) in Self.cases {
            #expect(MultipartBody.rackFilename(raw) == decoded, "\(raw)")
        }
    }

    @Test func recordedAndStoredDecoded() async throws {
        // The exact bytes on the wire, so that no tool's own escaping is involved.
        let boundary = "TestBoundary7MA4YWxkTrZu0gW"
        var body = Data()
        func add(_ text: String) { body.append(Data(text.utf8)) }
        for (name, value) in [("tune[title]", "names"), ("tune[name]", "woman")] {
            add("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n")
        }
        for (index, name) in Self.cases.map(\.raw).enumerated() {
            add("--\(boundary)\r\nContent-Disposition: form-data; name=\"tune[images][]\"; filename=\"\(name)\"\r\n")
            add("Content-Type: image/jpeg\r\n\r\n")
            body.append(fixtureJPEG(index + 1, size: 500))
            add("\r\n")
        }
        add("--\(boundary)--\r\n")
        let folder = try fixtureFolder(images: 1)
        defer { try? FileManager.default.removeItem(at: folder) }
        try body.write(to: folder.appendingPathComponent("body"))

        try await withServer { server throws in
            let r = try await curl(
                ["-X", "POST", "-H", "Content-Type: multipart/form-data; boundary=\(boundary)", "--data-binary", "@body"]
                    + auth + [server.baseURL.absoluteString + "/tunes"], cwd: folder)
            #expect(r.status == 201, "\(r.text)")
            let expected = Self.cases.map(\.decoded)
            let recorded = try #require(await server.requests().last)
            #expect(recorded.files.map(\.filename) == expected)
            let stored = try #require(await server.tunes().first)
            #expect(stored.images.map(\.filename) == expected)
            for (index, image) in stored.images.enumerated() {
                #expect(image.sha256 == TuneStore.sha256(fixtureJPEG(index + 1, size: 500)))
                // The name on disk stays plain whatever was uploaded.
                #expect(URL(fileURLWithPath: image.path).lastPathComponent.allSatisfy {
                    $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0))
                })
            }
        }
    }
}
