@testable import AstriaMockServer
import Foundation
import Testing

/// Rack's nesting rules, which the service (a Rails app) applies to form fields.
@Suite struct RailsParametersTests {
    func nest(_ pairs: [(String, String)]) throws -> ParamHash {
        try RailsParameters.nest(pairs.map { ($0, .string($1)) })
    }

    @Test func plainAndNestedHashKeys() throws {
        let p = try nest([("a", "1"), ("t[b][c]", "2"), ("t[b][d]", "3")])
        #expect(p["a"] == .string("1"))
        let b = try #require(p["t"]?.hash?["b"]?.hash)
        #expect(b.keys == ["c", "d"])
        #expect(b["d"] == .string("3"))
    }

    @Test func arrayOfValues() throws {
        let p = try nest([("t[images][]", "x"), ("t[images][]", "y")])
        #expect(p["t"]?.hash?["images"] == .array([.string("x"), .string("y")]))
    }

    @Test func hashesInArrayStartNewHashWhenKeyRepeats() throws {
        let p = try nest([("t[p][][text]", "one"), ("t[p][][cb]", "u1"), ("t[p][][text]", "two")])
        let list = try #require(p["t"]?.hash?["p"]?.list)
        #expect(list.count == 2)
        #expect(list[0].hash?["text"] == .string("one"))
        #expect(list[0].hash?["cb"] == .string("u1"))
        #expect(list[1].hash?["text"] == .string("two"))
        #expect(list[1].hash?["cb"] == nil)
    }

    @Test func indexedHashesReadAsListInIndexOrder() throws {
        let p = try nest([("t[p][1][text]", "b"), ("t[p][0][text]", "a"), ("t[p][0][cb]", "u")])
        let value = try #require(p["t"]?.hash?["p"])
        #expect(value.hash?.keys == ["1", "0"])  // a hash, as Rails keeps it
        let list = try #require(value.list)
        #expect(list.map { $0.hash?["text"] } == [.string("a"), .string("b")])
    }

    @Test func conflictingShapesAreRefused() {
        #expect(throws: RailsParameters.TypeConflict.self) { try nest([("a[]", "1"), ("a[b]", "2")]) }
        #expect(throws: RailsParameters.TypeConflict.self) { try nest([("a[b]", "1"), ("a[]", "2")]) }
        #expect(throws: RailsParameters.TypeConflict.self) { try nest([("a", "1"), ("a[b]", "2")]) }
    }

    @Test func jsonFlattensToFormNames() throws {
        let json = try #require(JSONValue.parse(Data(#"{"tune":{"title":"t","image_urls":["u1","u2"],"prompts_attributes":[{"text":"x"}]}}"#.utf8)))
        let flat = RailsParameters.flatten(json)
        #expect(flat.map(\.0) == ["tune[image_urls][]", "tune[image_urls][]", "tune[prompts_attributes][][text]", "tune[title]"])
    }

    @Test func contentDispositionParameters() {
        let (value, params) = HeaderParameters.parse(#"form-data; name="tune[images][]"; filename="a \"b\"; c.jpg""#)
        #expect(value == "form-data")
        #expect(params["name"] == "tune[images][]")
        #expect(params["filename"] == #"a "b"; c.jpg"#)
    }

    @Test func timestampsHaveMillisecondsAndZ() {
        #expect(Timestamps.format(Date(timeIntervalSince1970: 1_696_257_160.363)) == "2023-10-02T14:32:40.363Z")
    }
}
