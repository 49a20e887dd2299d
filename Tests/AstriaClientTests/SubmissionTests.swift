@testable import AstriaClient
import AstriaMockServer
import Foundation
import Testing
import TunePrepTestSupport
import TunePrep
import TunePrepSamples

/// Submitting a staged set through the library: the default title, created vs existing tunes,
/// tunes that do not match the request, the set's guards and the record written beside it.
@Suite struct SubmissionTests {
    func template(_ name: String = "man", configure: (inout TuneRequest) -> Void = { _ in }) -> TuneRequest {
        var request = TuneRequest(name: name)
        request.branch = "fast"
        configure(&request)
        return request
    }

    @Test func defaultTitleIdentifiesEveryFieldThatShapesTheTune() {
        let base = template()
        let title = base.defaultTitle(contentID: "tp-abc", packID: nil)
        #expect(title.hasPrefix("tp-abc-"))
        // The same request, fields set in another order, gives the same title.
        var same = TuneRequest(name: "man")
        same.characteristics = ["b": "2", "a": "1"]
        same.branch = "fast"
        var sameOtherOrder = TuneRequest(name: "man")
        sameOtherOrder.branch = "fast"
        sameOtherOrder.characteristics = ["a": "1", "b": "2"]
        #expect(same.defaultTitle(contentID: "tp-abc", packID: nil) == sameOtherOrder.defaultTitle(contentID: "tp-abc", packID: nil))
        // A callback does not shape the tune.
        #expect(template { $0.callback = "https://example.com/cb" }.defaultTitle(contentID: "tp-abc", packID: nil) == title)

        let variants: [(String, TuneRequest)] = [
            ("name", template("dragon")),
            ("branch", template { $0.branch = "sd15" }),
            ("no branch", template { $0.branch = nil }),
            ("model type", template { $0.modelType = "lora" }),
            ("base tune", template { $0.baseTuneId = 1504944 }),
            ("preset", template { $0.preset = "flux-lora-portrait" }),
            ("steps", template { $0.steps = 500 }),
            ("token", template { $0.token = "sks" }),
            ("face crop", template { $0.faceCrop = true }),
            ("face crop off", template { $0.faceCrop = false }),
            ("training face correct", template { $0.trainingFaceCorrect = true }),
            ("auto extend", template { $0.autoExtend = true }),
            ("characteristic", template { $0.characteristics = ["eye_color": "blue eyes"] }),
            ("prompt", template { $0.prompts = [TuneRequest.Prompt(text: "ohwx man")] }),
            ("tune ids", template { $0.tuneIds = [7] }),
            ("image urls", template { $0.imageURLs = ["https://example.com/1.jpg"] }),
        ]
        var seen = [title: "base"]
        for (label, request) in variants {
            let other = request.defaultTitle(contentID: "tp-abc", packID: nil)
            #expect(seen[other] == nil, "\(label) gives the same title as \(seen[other] ?? "")")
            seen[other] = label
        }
        #expect(base.defaultTitle(contentID: "tp-abc", packID: 260) != title, "the pack shapes the tune")
        #expect(base.defaultTitle(contentID: "tp-abd", packID: nil) != title, "the photos shape the tune")
    }

    @Test func createdThenExistingTuneAreToldApart() async throws {
        try await withServer { server in
            let client = try makeClient(server)
            var request = template()
            request.title = "same title"
            request.images = try writeImages(["1.jpg"], in: try temporaryFolder()).map { url throws(AstriaError) in
                try TuneRequest.Image(path: url.path)
            }
            let first = try await client.createTune(request, idempotent: true)
            #expect(first.outcome == .created && first.status == 201 && first.attempts == 1)
            let second = try await client.createTune(request, idempotent: true)
            #expect(second.outcome == .existing && second.status == 200)
            #expect(second.id == first.id)
            #expect(!second.earlierAttemptMayHaveCreated)
        }
    }

    @Test func aTuneThatDoesNotMatchTheRequestIsNeverReturned() async throws {
        try await withServer { server in
            let client = try makeClient(server)
            var man = template("man")
            man.title = "reused title"
            man.images = try writeImages(["1.jpg"], in: try temporaryFolder()).map { url throws(AstriaError) in
                try TuneRequest.Image(path: url.path)
            }
            let created = try await client.createTune(man, idempotent: true)
            var dragon = man
            dragon.name = "dragon"
            dragon.branch = "sd15"
            let error = await #expect(throws: AstriaError.self) { try await client.createTune(dragon, idempotent: true) }
            guard case .unexpectedTune(let creation, let mismatches)? = error else {
                Issue.record("expected unexpectedTune, got \(String(describing: error))"); return
            }
            #expect(creation.id == created.id && creation.outcome == .existing)
            #expect(mismatches.map(\.field) == ["name", "branch"])
            #expect(mismatches.first?.returned == "man" && mismatches.first?.requested == "dragon")
            let text = error?.description ?? ""
            #expect(text.contains("\"man\"") && text.contains("\"dragon\"") && text.contains("existing"))
        }
    }

    @Test func anExistingTuneAfterA504IsSaidToComeFromTheEarlierAttempt() async throws {
        try await withServer(serverOptions(faults: FaultPlan(script: [.timeoutAfterProcessing]))) { server in
            let set = try SubmittableSet.load(from: try writeStagedSet())
            let submission = try await makeClient(server).submit(set, template())
            #expect(submission.creation.outcome == .existing)
            #expect(submission.creation.earlierAttemptMayHaveCreated)
            #expect(submission.creation.attempts == 2)
            #expect(submission.record.outcome == .existing)
            #expect(await server.tunes().count == 1)
        }
    }

    @Test func hostedPhotosFollowTheSameTitleRetryAndRecordRules() async throws {
        let urls = ["https://photos.example/1.jpg", "https://photos.example/2.jpg"]
        // A lost answer (504 after creating) is resent under the same title and told apart.
        try await withServer(serverOptions(faults: FaultPlan(script: [.timeoutAfterProcessing]))) { server in
            let folder = try temporaryFolder()
            let recordURL = folder.appendingPathComponent("record.json")
            let submission = try await makeClient(server).submit(imageURLs: urls, template(), recordURL: recordURL)
            #expect(submission.creation.outcome == .existing && submission.creation.earlierAttemptMayHaveCreated)
            var expected = template()
            expected.imageURLs = urls
            #expect(submission.record.title == expected.defaultTitle(contentID: nil, packID: nil))
            #expect(submission.record.title.hasPrefix("tp-urls-"))
            #expect(await server.tunes().count == 1)
            #expect(await server.tunes().first?.imageURLs == urls)
            let written = try JSONDecoder().decode(SubmissionRecord.self, from: Data(contentsOf: recordURL))
            #expect(written == submission.record && written.imageUrls == urls && written.setId == nil)
            // The record guards a repeat unless forced.
            let repeatError = await #expect(throws: AstriaError.self) {
                try await makeClient(server).submit(imageURLs: urls, template(), recordURL: recordURL)
            }
            guard case .alreadyRecorded(let path, let tuneID)? = repeatError else {
                Issue.record("expected alreadyRecorded, got \(String(describing: repeatError))"); return
            }
            #expect(path == recordURL.path && tuneID == submission.creation.id)
        }
        // A tune handed back that does not match (a reused --title) is refused and not recorded.
        try await withServer { server in
            let client = try makeClient(server)
            var first = template("man")
            first.title = "shared"
            _ = try await client.submit(imageURLs: urls, first)
            var second = template("dragon")
            second.title = "shared"
            let recordURL = try temporaryFolder().appendingPathComponent("record.json")
            let error = await #expect(throws: AstriaError.self) { try await client.submit(imageURLs: urls, second, recordURL: recordURL) }
            guard case .unexpectedTune? = error else { Issue.record("expected unexpectedTune, got \(String(describing: error))"); return }
            #expect(!FileManager.default.fileExists(atPath: recordURL.path))
            let invalid = await #expect(throws: AstriaError.self) { try await client.submit(imageURLs: ["ftp://x/1.jpg"], first) }
            #expect(invalid?.description == "invalid request: ftp://x/1.jpg is not an http or https URL")
        }
    }

    @Test func submitAStagedSetWithTheGuardsAndTheRecord() async throws {
        try await withServer { server in
            let client = try makeClient(server)
            let dir = try writeStagedSet()
            let set = try StagedSet.load(from: dir)
            let submission = try await client.submit(setAt: dir, template())
            let tune = try #require(await server.tunes().first)
            #expect(submission.creation.id == tune.id && submission.creation.outcome == .created)
            #expect(tune.title == template().defaultTitle(contentID: set.manifest.setId, packID: nil))
            #expect(tune.images.count == 4)
            #expect(tune.images.map(\.sha256) == (try set.imageFiles.map { try sha256Hex(file: $0) }))

            let record = try #require(SubmissionRecord.load(from: dir))
            #expect(record == submission.record)
            #expect(record.tuneId == tune.id && record.name == "man" && record.branch == "fast" && record.outcome == .created)
            #expect(record.setId == set.manifest.setId && record.images == 4)
            let text = try String(contentsOf: submission.recordURL, encoding: .utf8)
            #expect(text.contains("\"outcome\" : \"created\"") && !text.contains(fakeKey))

            // Already submitted: refused before anything is sent, unless forced.
            let before = await server.requests().count
            let again = await #expect(throws: AstriaError.self) { try await client.submit(setAt: dir, template()) }
            guard case .setRefused(_, .alreadySubmitted(tune.id, _))? = again else { Issue.record("got \(String(describing: again))"); return }
            #expect(await server.requests().count == before)
            let forced = try await client.submit(setAt: dir, template(), force: true)
            #expect(forced.creation.outcome == .existing && forced.creation.id == tune.id)
            #expect(SubmissionRecord.load(from: dir)?.outcome == .existing)

            // A different request on the same set is a different tune, never the old one.
            let dragon = try await client.submit(setAt: dir, template("dragon"), force: true)
            #expect(dragon.creation.outcome == .created && dragon.creation.id != tune.id && dragon.creation.name == "dragon")
            #expect(SubmissionRecord.load(from: dir)?.name == "dragon")
        }
    }

    /// AstriaClient reads a staged set without TunePrep: it must agree with TunePrep's own reader.
    @Test func theUploadersReadingOfASetAgreesWithTunePreps() async throws {
        #expect(SubmittableSet.supportedSchemaVersion == Manifest.currentSchemaVersion)
        let folder = try temporaryFolder("samples")
        try SampleSet.write(to: folder.appendingPathComponent("photos"))
        var options = PrepareOptions()
        options.personChecks = .off
        let staged = try await Preparer(options: options, workers: 2).prepare(
            [folder.appendingPathComponent("photos").path], into: folder.appendingPathComponent("set"))
        let read = try SubmittableSet.load(from: staged.directory)
        #expect(read.setId == staged.manifest.setId && read.isUsable == staged.isUsable)
        #expect(read.imageFiles.map(\.lastPathComponent) == staged.imageFiles.map(\.lastPathComponent) && read.imageFiles.count == 6)

        // A manifest naming a file outside the set, or a missing one, is not a staged set.
        let manifestURL = staged.directory.appendingPathComponent(Manifest.fileName)
        let text = try String(contentsOf: manifestURL, encoding: .utf8)
        for (replacement, reason) in [("../../etc/passwd", "is not a file name"), ("99.jpg", "staged file 99.jpg is missing")] {
            try text.replacingOccurrences(of: "\"01.jpg\"", with: "\"\(replacement)\"").write(to: manifestURL, atomically: true, encoding: .utf8)
            let error = #expect(throws: AstriaError.self) { try SubmittableSet.load(from: staged.directory) }
            #expect(error?.description.contains(reason) == true, "\(String(describing: error))")
        }
    }

    @Test func unusableEmptyAndForeignFoldersAreRefused() async throws {
        try await withServer { server in
            let client = try makeClient(server)
            let unusable = await #expect(throws: AstriaError.self) { try await client.submit(setAt: try writeStagedSet(usable: false), template()) }
            guard case .setRefused(_, .unusable)? = unusable else { Issue.record("got \(String(describing: unusable))"); return }
            let foreign = await #expect(throws: AstriaError.self) { try await client.submit(setAt: try temporaryFolder(), template()) }
            guard case .setRefused(_, .notAStagedSet)? = foreign else { Issue.record("got \(String(describing: foreign))"); return }
            #expect(await server.requests().isEmpty)
        }
    }

    @Test func aWrongKeyIsFoundOutBeforeALargeBodyIsSent() async throws {
        try await withServer { server in
            let dir = try temporaryFolder()
            var request = TuneRequest(title: "large", name: "man")
            request.images = try writeImages(["1.jpg", "2.jpg"], in: dir, size: 2_500_000).map { url throws(AstriaError) in
                try TuneRequest.Image(path: url.path)
            }
            let error = await #expect(throws: AstriaError.self) {
                try await makeClient(server, key: "sd_FAKE_wrong").createTune(request, idempotent: true)
            }
            guard case .unauthorized? = error else { Issue.record("got \(String(describing: error))"); return }
            #expect(await server.requests().map { "\($0.method) \($0.path)" } == ["GET /tunes?limit=1"])
            // With the right key: the check, then the upload.
            _ = try await makeClient(server).createTune(request, idempotent: true)
            #expect(await server.requests().suffix(2).map(\.method) == ["GET", "POST"])
        }
    }
}
