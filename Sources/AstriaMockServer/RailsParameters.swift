import Foundation

/// A file part of a multipart body, as Rails would hand it to a controller: its bytes wait in a
/// spool file on disk (as Rack's Tempfile), never in memory.
struct UploadedFile: Sendable, Equatable {
    var fieldName: String
    var filename: String
    var contentType: String
    /// The spool file holding the bytes until the tune takes them (or the request ends).
    var path: URL
    var byteCount: Int
    /// Lowercase hex SHA-256 of the bytes, computed while they were written.
    var sha256: String
    /// The first bytes, for telling the format.
    var head: Data
}

/// One value of Rails' `params`: nested hashes and arrays of strings and files.
indirect enum ParamValue: Sendable, Equatable {
    case null
    case string(String)
    case file(UploadedFile)
    case array([ParamValue])
    case hash(ParamHash)

    var string: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    var hash: ParamHash? {
        if case .hash(let h) = self { return h }
        return nil
    }

    /// Arrays as arrays; hashes keyed "0", "1", ... (the `a[0][c]` form) as arrays in index order,
    /// the way `accepts_nested_attributes_for` reads them.
    var list: [ParamValue]? {
        switch self {
        case .array(let items): return items
        case .hash(let h):
            let indexed = h.pairs.compactMap { key, value in Int(key).map { ($0, value) } }
            guard indexed.count == h.pairs.count else { return nil }
            return indexed.sorted { $0.0 < $1.0 }.map(\.1)
        default: return nil
        }
    }

    /// A JSON scalar becomes the string Rails would see in a form; null stays null.
    init(json: JSONValue) {
        switch json {
        case .null: self = .null
        case .bool(let b): self = .string(b ? "true" : "false")
        case .int(let i): self = .string(String(i))
        case .double(let d): self = .string(String(d))
        case .string(let s): self = .string(s)
        case .array(let items): self = .array(items.map(ParamValue.init(json:)))
        case .object(let pairs):
            var h = ParamHash()
            for (k, v) in pairs { h[k] = ParamValue(json: v) }
            self = .hash(h)
        }
    }
}

/// An insertion-ordered hash, like Ruby's, with a key index so that lookups and inserts stay
/// constant-time: nesting n parameters is linear, not quadratic.
struct ParamHash: Sendable, Equatable {
    private(set) var pairs: [(String, ParamValue)] = []
    private var positions: [String: Int] = [:]

    static func == (lhs: ParamHash, rhs: ParamHash) -> Bool {
        lhs.pairs.count == rhs.pairs.count && zip(lhs.pairs, rhs.pairs).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
    }

    subscript(key: String) -> ParamValue? {
        get { positions[key].map { pairs[$0].1 } }
        set {
            if let i = positions[key] {
                if let newValue {
                    pairs[i].1 = newValue
                } else {
                    pairs.remove(at: i)
                    positions = Dictionary(uniqueKeysWithValues: pairs.enumerated().map { ($1.0, $0) })
                }
            } else if let newValue {
                positions[key] = pairs.count
                pairs.append((key, newValue))
            }
        }
    }

    /// The value for `key`, moved out of its slot (which keeps its place, holding null until it is
    /// set again), so the caller holds the only reference and can grow it without copying it.
    mutating func take(_ key: String) -> ParamValue? {
        guard let i = positions[key] else { return nil }
        let value = pairs[i].1
        pairs[i].1 = .null
        return value
    }

    var keys: [String] { pairs.map(\.0) }
}

/// Rack's nested-parameter rules (Rack 3 `QueryParser#normalize_params`, which Rails uses),
/// turning flat names such as `tune[prompts_attributes][][text]` into nested hashes and arrays.
enum RailsParameters {
    /// Why a set of names cannot be nested (Rack raises `ParameterTypeError` and Rails answers 400).
    struct TypeConflict: Error, Equatable {
        var message: String
    }

    static let depthLimit = 32

    /// Nests name/value pairs in order; a repeated key in `a[][c]` starts a new hash in the array.
    static func nest(_ pairs: [(String, ParamValue)]) throws(TypeConflict) -> ParamHash {
        var params = ParamHash()
        for (name, value) in pairs {
            _ = try normalize(&params, name: name, value: value, depth: 0)
        }
        return params
    }

    @discardableResult
    private static func normalize(
        _ params: inout ParamHash, name: String, value: ParamValue, depth: Int
    ) throws(TypeConflict) -> ParamValue? {
        guard depth < depthLimit else { throw TypeConflict(message: "parameters nested too deeply") }
        let chars = Array(name)
        var k: String
        var after: String
        if depth == 0 {
            // At the start, `[` at position 0 is part of the key, as in Rack.
            if let start = chars.indices.dropFirst().first(where: { chars[$0] == "[" }) {
                k = String(chars[..<start])
                after = String(chars[start...])
            } else {
                k = name
                after = ""
            }
        } else if name.hasPrefix("[]") {
            k = "[]"
            after = String(chars.dropFirst(2))
        } else if name.hasPrefix("["), let close = chars.indices.dropFirst().first(where: { chars[$0] == "]" }) {
            k = String(chars[1..<close])
            after = String(chars[(close + 1)...])
        } else {
            k = name
            after = ""
        }

        if k.isEmpty { return nil }

        if after.isEmpty {
            if k == "[]" && depth != 0 { return .array([value]) }
            params[k] = value
        } else if after == "[" {
            params[name] = value
        } else if after == "[]" {
            var list = try existingArray(params.take(k), key: k)
            list.append(value)
            params[k] = .array(list)
        } else if after.hasPrefix("[]") {
            // `x[][y]`: a hash inside an array; otherwise some deeper array nesting.
            let rest = Array(after)
            var childKey = String(rest.dropFirst(2))
            if rest.count > 4, rest[2] == "[", rest.last == "]" {
                let inner = String(rest[3..<(rest.count - 1)])
                if !inner.isEmpty, !inner.contains("["), !inner.contains("]") { childKey = inner }
            }
            var list = try existingArray(params.take(k), key: k)
            if case .hash(var last)? = list.last, !hasKey(last, childKey) {
                try normalize(&last, name: childKey, value: value, depth: depth + 1)
                list[list.count - 1] = .hash(last)
            } else {
                var fresh = ParamHash()
                if let made = try normalize(&fresh, name: childKey, value: value, depth: depth + 1) {
                    list.append(made)
                }
            }
            params[k] = .array(list)
        } else {
            var child: ParamHash
            // Moved out, so adding a key does not copy the whole child hash.
            var existing = params.take(k)
            switch existing {
            case nil: child = ParamHash()
            case .hash(let h)?: child = h
            case let other?:
                throw TypeConflict(message: "expected Hash (got \(other.typeName)) for param `\(k)'")
            }
            existing = nil
            try normalize(&child, name: after, value: value, depth: depth + 1)
            params[k] = .hash(child)
        }
        return .hash(params)
    }

    private static func existingArray(_ value: ParamValue?, key: String) throws(TypeConflict) -> [ParamValue] {
        switch value {
        case nil: return []
        case .array(let items)?: return items
        case let other?: throw TypeConflict(message: "expected Array (got \(other.typeName)) for param `\(key)'")
        }
    }

    /// Rack's `params_hash_has_key?`: does the (possibly nested) key already exist in the hash?
    private static func hasKey(_ hash: ParamHash, _ key: String) -> Bool {
        if key.contains("[]") { return false }
        var current = ParamValue.hash(hash)
        for part in key.split(whereSeparator: { $0 == "[" || $0 == "]" }) {
            guard case .hash(let h) = current, let next = h[String(part)] else { return false }
            current = next
        }
        return true
    }

    /// Flattens a JSON body into the form-style names a multipart body would carry,
    /// so requests of either encoding are recorded alike.
    static func flatten(_ json: JSONValue, prefix: String = "") -> [(String, String)] {
        switch json {
        case .object(let pairs):
            return pairs.flatMap { key, value in
                flatten(value, prefix: prefix.isEmpty ? key : "\(prefix)[\(key)]")
            }
        case .array(let items):
            return items.flatMap { flatten($0, prefix: "\(prefix)[]") }
        case .null: return [(prefix, "")]
        case .bool(let b): return [(prefix, b ? "true" : "false")]
        case .int(let i): return [(prefix, String(i))]
        case .double(let d): return [(prefix, String(d))]
        case .string(let s): return [(prefix, s)]
        }
    }

    /// Decodes an `application/x-www-form-urlencoded` body or query string into ordered pairs.
    static func formPairs(_ text: String) -> [(String, String)] {
        text.split(separator: "&", omittingEmptySubsequences: true).map { item in
            let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ s: Substring) -> String {
                let spaced = s.replacingOccurrences(of: "+", with: " ")
                return spaced.removingPercentEncoding ?? spaced
            }
            return (decode(parts[0]), parts.count > 1 ? decode(parts[1]) : "")
        }
    }
}

extension ParamValue {
    fileprivate var typeName: String {
        switch self {
        case .null: return "NilClass"
        case .string: return "String"
        case .file: return "ActionDispatch::Http::UploadedFile"
        case .array: return "Array"
        case .hash: return "Hash"
        }
    }
}
