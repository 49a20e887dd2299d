@testable import AstriaClient
import Foundation
import Testing
import TunePrepTestSupport

/// The encoder's output, read back by MultipartKit: names, values, filenames and file bytes.
@Suite struct MultipartBodyTests {
    @Test func everyFieldFormArrivesAsRailsNames() throws {
        let dir = try temporaryFolder()
        let files = try writeImages(["1.jpg", "2.jpg"], in: dir)
        var request = TuneRequest(title: "John Doe - UUID - 1234", name: "man")
        request.images = try files.map { url throws(AstriaError) in try TuneRequest.Image(path: url.path) }
        request.imageURLs = ["https://i.imgur.com/HLHBnl9.jpeg"]
        request.callback = "https://optional-callback-url.com/webhooks/astria?user_id=1&tune_id=1"
        request.branch = "fast"
        request.token = "sks"
        request.baseTuneId = 690204
        request.modelType = "lora"
        request.preset = "flux-lora-portrait"
        request.faceCrop = true
        request.steps = 500
        request.trainingFaceCorrect = false
        request.autoExtend = true
        request.characteristics = ["eye_color": "blue eyes"]
        var prompt = TuneRequest.Prompt(text: "sks man on space circa 1979", callback: "https://cb/p?id=1")
        prompt.negativePrompt = "blurry"
        prompt.numImages = 4
        request.prompts = [prompt, TuneRequest.Prompt(text: "sks man viral meme")]
        request.promptAttributesCallback = "https://cb/prompts?user_id=1"
        request.promptsCallback = "https://cb/all"
        request.tuneIds = [1, 2]
        request.promptIds = [3]

        let form = request.multipartForm()
        let body = try form.encode()
        let bytes = try materialize(body)
        #expect(Int64(bytes.count) == body.totalBytes)
        #expect(body.contentType == "multipart/form-data; boundary=\(form.boundary)")

        let parts = try parseMultipart(bytes, boundary: form.boundary)
        let fields = parts.filter { $0.filename == nil }.map { "\($0.name ?? "?")=\($0.text)" }
        #expect(fields == [
            "tune[title]=John Doe - UUID - 1234",
            "tune[name]=man",
            "tune[callback]=https://optional-callback-url.com/webhooks/astria?user_id=1&tune_id=1",
            "tune[branch]=fast",
            "tune[base_tune_id]=690204",
            "tune[model_type]=lora",
            "tune[preset]=flux-lora-portrait",
            "tune[token]=sks",
            "tune[face_crop]=true",
            "tune[steps]=500",
            "tune[training_face_correct]=false",
            "tune[auto_extend]=true",
            "tune[characteristics][eye_color]=blue eyes",
            "tune[prompts_attributes][0][text]=sks man on space circa 1979",
            "tune[prompts_attributes][0][negative_prompt]=blurry",
            "tune[prompts_attributes][0][callback]=https://cb/p?id=1",
            "tune[prompts_attributes][0][num_images]=4",
            "tune[prompts_attributes][1][text]=sks man viral meme",
            "tune[prompt_attributes][callback]=https://cb/prompts?user_id=1",
            "tune[prompts_callback]=https://cb/all",
            "tune[tune_ids][]=1",
            "tune[tune_ids][]=2",
            "tune[prompt_ids][]=3",
            "tune[image_urls][]=https://i.imgur.com/HLHBnl9.jpeg",
        ])
        let fileParts = parts.filter { $0.filename != nil }
        #expect(fileParts.map(\.name) == ["tune[images][]", "tune[images][]"])
        #expect(fileParts.map(\.filename) == ["1.jpg", "2.jpg"])
        #expect(fileParts.map { $0.header("content-type") } == ["image/jpeg", "image/jpeg"])
        for (part, file) in zip(fileParts, files) {
            #expect(sha256Hex(part.body) == (try sha256Hex(file: file)))
        }
    }

    @Test func bracketPromptFormStartsEachPromptWithText() throws {
        var request = TuneRequest(title: "t", name: "cat")
        request.imageURLs = ["https://x/1.jpg"]
        request.promptForm = .brackets
        request.prompts = [TuneRequest.Prompt(text: "a", callback: "https://cb/1"), TuneRequest.Prompt(text: "b")]
        let names = request.formFields.map(\.name).filter { $0.contains("prompts_attributes") }
        #expect(names == ["tune[prompts_attributes][][text]", "tune[prompts_attributes][][callback]", "tune[prompts_attributes][][text]"])
    }

    @Test func awkwardFilenamesAreEscapedAsBrowsersDoAndDecodeBack() throws {
        let dir = try temporaryFolder()
        let names = ["Zoë \"best\" 1.jpg", "line\r\nbreak.jpg", "100% sure.jpg", "日本語 写真.png"]
        let files = try writeImages(["a.jpg", "b.jpg", "c.jpg", "d.jpg"], in: dir)
        var form = MultipartForm()
        for (file, name) in zip(files, names) {
            form.addFile("tune[images][]", path: file.path, filename: name, contentType: "image/jpeg")
        }
        let bytes = try materialize(try form.encode())
        let parts = try parseMultipart(bytes, boundary: form.boundary)
        let raw = parts.compactMap(\.filename)
        #expect(raw == ["Zoë %22best%22 1.jpg", "line%0D%0Abreak.jpg", "100%25 sure.jpg", "日本語 写真.png"])
        // Rack percent-decodes such names: the original comes back exactly.
        #expect(raw.map(rackFilename) == names)
        for (part, file) in zip(parts, files) { #expect(sha256Hex(part.body) == (try sha256Hex(file: file))) }
    }

    @Test func jsonBodyWhenThereAreNoFiles() throws {
        var request = TuneRequest(title: "Grumpy Cat - UUID - 1234", name: "cat")
        request.callback = "https://cb/ready?user_id=1"
        request.characteristics = ["eye_color": "blue eyes"]
        request.promptAttributesCallback = "https://cb/prompts?user_id=1"
        request.imageURLs = ["https://i.imgur.com/HLHBnl9.jpeg", "https://i.imgur.com/HLHBnl9.jpeg"]
        request.prompts = [TuneRequest.Prompt(text: "sks cat in space", callback: "https://cb/p1")]
        let body = try request.body()
        #expect(body.contentType == "application/json")
        let object = try JSONSerialization.jsonObject(with: Data(try materialize(body))) as? [String: Any]
        let tune = try #require(object?["tune"] as? [String: Any])
        #expect(tune["title"] as? String == "Grumpy Cat - UUID - 1234")
        #expect((tune["characteristics"] as? [String: String]) == ["eye_color": "blue eyes"])
        #expect((tune["prompt_attributes"] as? [String: String]) == ["callback": "https://cb/prompts?user_id=1"])
        #expect((tune["image_urls"] as? [String])?.count == 2)
        let prompts = try #require(tune["prompts_attributes"] as? [[String: Any]])
        #expect(prompts.first?["text"] as? String == "sks cat in space")
        #expect(prompts.first?["callback"] as? String == "https://cb/p1")
    }

    @Test func badRequestsAreRefusedBeforeSending() throws {
        var request = TuneRequest(title: " ", name: "man")
        request.imageURLs = ["https://x"]
        #expect(throws: AstriaError.self) { try request.body() }
        request.title = "t"
        request.characteristics = ["eye]color": "x"]
        #expect(throws: AstriaError.self) { try request.body() }
        request.characteristics = [:]
        request.imageURLs = []
        #expect(throws: AstriaError.self) { try request.body() }
        #expect(throws: AstriaError.self) { try TuneRequest.Image(path: "/nonexistent/x.gif") }
        var form = MultipartForm()
        form.addFile("f", path: "/nonexistent/x.jpg", filename: "x.jpg", contentType: "image/jpeg")
        #expect(throws: AstriaError.self) { try form.encode() }
    }

    @Test func aFileThatShrinksFailsInsteadOfCorruptingTheBody() throws {
        let dir = try temporaryFolder()
        let file = try writeImages(["a.jpg"], in: dir, size: 10_000)[0]
        var form = MultipartForm()
        form.addFile("f", path: file.path, filename: "a.jpg", contentType: "image/jpeg")
        let body = try form.encode()
        try Data(fixtureJPEG(1, size: 100)).write(to: file)
        #expect(throws: BodyReader.Failure.self) { try materialize(body) }
    }

    @Test func currentFileFollowsTheOffset() throws {
        let dir = try temporaryFolder()
        let files = try writeImages(["a.jpg", "b.jpg"], in: dir, size: 1000)
        var form = MultipartForm()
        for file in files { form.addFile("f", path: file.path, filename: file.lastPathComponent, contentType: "image/jpeg") }
        let body = try form.encode()
        #expect(body.file(atOffset: 0)?.span.name == "a.jpg")
        #expect(body.file(atOffset: body.files[0].start + 999)?.index == 1)
        #expect(body.file(atOffset: body.files[0].start + 1000)?.span.name == "b.jpg")
        #expect(body.file(atOffset: body.totalBytes) == nil)
    }
}
