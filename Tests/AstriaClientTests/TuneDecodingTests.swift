import AstriaClient
import Foundation
import Testing
import TunePrepTestSupport

@Suite struct TuneDecodingTests {
    @Test func decodesTheDocumentedListLeniently() throws {
        let json = """
        [{"id": 1, "title": "John Doe", "name": "woman", "token": "ohwx", "base_tune_id": null, "args": null,
          "steps": null, "face_crop": null, "ckpt_url": "https://s3/mock", "ckpt_urls": ["https://s3/mock"],
          "trained_at": "2023-10-02T14:32:40.363Z", "started_training_at": "2023-10-02T14:32:05.229Z",
          "expires_at": "2023-11-01T14:32:40.363Z", "created_at": "2023-10-02T14:32:05.067Z", "branch": "sdxl1",
          "model_type": "lora", "updated_at": "2023-10-02T14:32:40.363Z", "url": "https://www.astria.ai/tunes/788416.json",
          "orig_images": ["https://s3/mock", null], "brand_new_field": {"nested": [1, 2]}},
         {"id": "775459", "title": "Marry Jane", "name": null, "is_api": false, "steps": "oops", "trained_at": "not a date",
          "created_at": "2023-09-23T16:07:36Z"}]
        """
        let tunes = try JSONDecoder().decode([Tune].self, from: Data(json.utf8))
        #expect(tunes.map(\.id) == [1, 775459])
        #expect(tunes[0].trainedAt == Date(timeIntervalSince1970: 1_696_257_160.363))
        #expect(tunes[0].origImages == ["https://s3/mock"])
        #expect(tunes[0].baseTuneId == nil && tunes[0].modelType == "lora")
        #expect(tunes[1].name == nil && tunes[1].isApi == false && tunes[1].steps == nil && tunes[1].trainedAt == nil)
        #expect(tunes[1].createdAt == Date(timeIntervalSince1970: 1_695_485_256))
        // Round trip keeps the service's format, milliseconds included.
        let encoded = String(decoding: try JSONEncoder().encode(tunes[0]), as: UTF8.self)
        #expect(encoded.contains("\"trained_at\":\"2023-10-02T14:32:40.363Z\""))
    }

    @Test func aTuneWithoutIdIsAnError() {
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(Tune.self, from: Data(#"{"title": "x"}"#.utf8)) }
    }

    @Test func theKeyNeverPrints() {
        let key = APIKey("  \(fakeKey)\n")!
        #expect("\(key)" == "[redacted API key]")
        #expect(!String(reflecting: key).contains(fakeKey))
        var dumped = ""
        dump(key, to: &dumped)
        #expect(!dumped.contains(fakeKey))
        #expect(key.redact("echo \(fakeKey) back") == "echo [redacted API key] back")
        #expect(APIKey("  \n") == nil)
    }
}
