import AstriaMockServer
import Foundation
import Testing

/// Start, stop and the data folder, in-process.
@Suite struct ServerLifecycleTests {
    @Test func stopClosesThePortAndRemovesTemporaryData() async throws {
        let server = try await MockAstriaServer.start(MockServerOptions(apiKey: testKey))
        #expect(server.port > 0)
        #expect(server.baseURL.absoluteString == "http://127.0.0.1:\(server.port)")
        #expect(FileManager.default.fileExists(atPath: server.dataDirectory.path))
        #expect(try await curl(auth + [server.baseURL.absoluteString + "/tunes"]).status == 200)
        await server.stop()
        let after = try await curl(auth + [server.baseURL.absoluteString + "/tunes"])
        #expect(after.status == 0 && after.exitCode == 7)  // 7: could not connect
        #expect(!FileManager.default.fileExists(atPath: server.dataDirectory.path))
    }

    @Test func givenDataFolderIsKeptAndNotOverwritten() async throws {
        let folder = try fixtureFolder()
        let data = folder.appendingPathComponent("data")
        defer { try? FileManager.default.removeItem(at: folder) }
        for round in 1...2 {
            try await withServer(MockServerOptions(dataDirectory: data, apiKey: testKey)) { server throws in
                let r = try await curl(["-X", "POST"] + auth + tuneForm(title: "r\(round)") + [server.baseURL.absoluteString + "/tunes"], cwd: folder)
                #expect(r.status == 201)
                // Ids continue after the folders an earlier run left, so earlier uploads stay intact.
                #expect(r.object["id"] as? Int == round)
            }
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: data.appendingPathComponent("tunes").path).sorted() == ["1", "2"])
    }

    @Test func portInUseIsAnError() async throws {
        try await withServer { server throws in
            await #expect(throws: MockServerError.self) {
                _ = try await MockAstriaServer.start(MockServerOptions(port: server.port))
            }
        }
    }
}
