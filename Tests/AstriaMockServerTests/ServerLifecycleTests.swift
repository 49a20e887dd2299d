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

    /// Tests in the same process may occupy every thread of Swift's cooperative pool with long
    /// synchronous work; the server runs on threads of its own and keeps answering meanwhile.
    @Test func answersWhileTheCooperativePoolIsBusy() async throws {
        try await withServer { server throws in
            let released = Flag()
            // More blockers than the pool has threads; each holds its thread, never suspending,
            // until curl has its answer (or a minute passes, so that a failure cannot hang the run).
            let blockers = (0..<max(8, 2 * ProcessInfo.processInfo.activeProcessorCount)).map { _ in
                Task.detached {
                    let deadline = ContinuousClock.now + .seconds(60)
                    while !released.isSet, ContinuousClock.now < deadline { usleep(1000) }
                }
            }
            // curl runs and is waited for on a plain thread: the test's own task cannot run now.
            let url = server.baseURL.absoluteString + "/tunes"
            let status: String = await withCheckedContinuation { continuation in
                Thread {
                    let process = Process()
                    process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
                    process.arguments = ["-sS", "--max-time", "60", "-o", "/dev/null", "-w", "%{http_code}"] + auth + [url]
                    let output = Pipe()
                    process.standardOutput = output
                    var text = "curl did not start"
                    if (try? process.run()) != nil {
                        text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                        process.waitUntilExit()
                    }
                    released.set()
                    continuation.resume(returning: text)
                }.start()
            }
            for blocker in blockers { await blocker.value }
            #expect(status == "200")
        }
    }

    @Test func portInUseIsAnError() async throws {
        try await withServer { server throws in
            await #expect(throws: MockServerError.self) {
                _ = try await MockAstriaServer.start(MockServerOptions(port: server.port))
            }
        }
    }
}
