import Foundation

/// What TunePrep reads from a photo's EXIF: the orientation, and whether GPS is present (so a
/// report can say that it was stripped). Malformed EXIF never fails an image: the reading then
/// says orientation 1 and carries a problem.
public struct EXIFReading: Sendable, Equatable {
    /// How the stored pixels must be turned to stand upright; `.up` when there is no tag.
    public var orientation: Orientation = .up
    /// True when the EXIF carries GPS data (which the outputs never keep).
    public var hasGPS = false
    /// Why the EXIF could not be used, when it could not.
    public var problem: String?
    /// True when the file carries an EXIF block at all.
    public var present = false
}

/// Finds the EXIF block of a JPEG (APP1 "Exif") or PNG (eXIf chunk, or ImageMagick's
/// "Raw profile type exif" text chunk) and reads the TIFF structure inside it. Every read is
/// bounds-checked: these bytes come from anywhere.
enum EXIFReader {
    static func read(_ data: Data, format: ImageFormat) -> EXIFReading {
        let block: [UInt8]?
        switch format {
        case .jpeg: block = jpegEXIF(data)
        case .png: block = pngEXIF(data)
        case .webp: block = webpEXIF(data)
        // HEIF rotates and mirrors in its container (irot/imir), which the decoder applies; its
        // EXIF orientation is informative only and must not be applied a second time.
        default: block = nil
        }
        guard let block else { return EXIFReading() }
        var reading = parseTIFF(stripEXIFHeader(block))
        reading.present = true
        return reading
    }

    private static func stripEXIFHeader(_ block: [UInt8]) -> ArraySlice<UInt8> {
        let header: [UInt8] = [0x45, 0x78, 0x69, 0x66, 0, 0]  // "Exif\0\0"
        if block.count >= 6 && Array(block[0..<6]) == header { return block[6...] }
        return block[...]
    }

    /// The first APP1 segment that starts with "Exif\0", scanning markers up to the first scan.
    static func jpegEXIF(_ data: Data) -> [UInt8]? {
        data.withUnsafeBytes { raw -> [UInt8]? in
            let bytes = raw.bindMemory(to: UInt8.self)
            var i = 2
            while i + 4 <= bytes.count {
                // Tolerate junk before a marker, as libjpeg does (with a warning).
                guard bytes[i] == 0xFF else { i += 1; continue }
                let marker = bytes[i + 1]
                if marker == 0xFF { i += 1; continue }  // fill byte
                if marker == 0xD8 || marker == 0x01 || (0xD0...0xD7).contains(marker) { i += 2; continue }
                if marker == 0xDA || marker == 0xD9 { return nil }  // start of scan / end of image
                let length = Int(bytes[i + 2]) << 8 | Int(bytes[i + 3])
                guard length >= 2, i + 2 + length <= bytes.count else { return nil }
                let payload = (i + 4)..<(i + 2 + length)
                if marker == 0xE1, payload.count >= 6,
                   bytes[payload.lowerBound] == 0x45, bytes[payload.lowerBound + 1] == 0x78,
                   bytes[payload.lowerBound + 2] == 0x69, bytes[payload.lowerBound + 3] == 0x66,
                   bytes[payload.lowerBound + 4] == 0 {
                    return Array(bytes[payload])
                }
                i += 2 + length
            }
            return nil
        }
    }

    /// The EXIF chunk of a WebP (RIFF) file.
    static func webpEXIF(_ data: Data) -> [UInt8]? {
        data.withUnsafeBytes { raw -> [UInt8]? in
            let bytes = raw.bindMemory(to: UInt8.self)
            var i = 12
            while i + 8 <= bytes.count {
                let type = String(decoding: bytes[i..<(i + 4)], as: UTF8.self)
                let length = Int(bytes[i + 4]) | Int(bytes[i + 5]) << 8 | Int(bytes[i + 6]) << 16 | Int(bytes[i + 7]) << 24
                let start = i + 8
                guard length >= 0, length <= bytes.count - start else { return nil }
                if type == "EXIF" { return Array(bytes[start..<(start + length)]) }
                i = start + length + (length & 1)
            }
            return nil
        }
    }

    static func pngEXIF(_ data: Data) -> [UInt8]? {
        data.withUnsafeBytes { raw -> [UInt8]? in
            let bytes = raw.bindMemory(to: UInt8.self)
            var i = 8
            var rawProfile: [UInt8]?
            while i + 12 <= bytes.count {
                let length = Int(bytes[i]) << 24 | Int(bytes[i + 1]) << 16 | Int(bytes[i + 2]) << 8 | Int(bytes[i + 3])
                let type = String(decoding: bytes[(i + 4)..<(i + 8)], as: UTF8.self)
                let start = i + 8
                guard length >= 0, length <= bytes.count - start - 4 else { return rawProfile }
                let payload = Array(bytes[start..<(start + length)])
                if type == "eXIf" { return payload }
                if type == "tEXt", rawProfile == nil { rawProfile = imageMagickProfile(payload) }
                if type == "IEND" { break }
                i = start + length + 4
            }
            return rawProfile
        }
    }

    /// ImageMagick writes EXIF as hex in a tEXt chunk: "Raw profile type exif\0\nexif\n  LEN\nHEX...".
    private static func imageMagickProfile(_ payload: [UInt8]) -> [UInt8]? {
        let keyword = Array("Raw profile type exif".utf8) + [0]
        guard payload.count > keyword.count, Array(payload[0..<keyword.count]) == keyword else { return nil }
        let text = payload[keyword.count...]
        // Skip three lines: "", "exif", the length.
        var newlines = 0
        var index = text.startIndex
        while index < text.endIndex && newlines < 3 {
            if text[index] == 0x0A { newlines += 1 }
            index += 1
        }
        var bytes: [UInt8] = []
        var high: UInt8?
        for character in text[index...] {
            let nibble: UInt8
            switch character {
            case 0x30...0x39: nibble = character - 0x30
            case 0x61...0x66: nibble = character - 0x61 + 10
            case 0x41...0x46: nibble = character - 0x41 + 10
            default: continue
            }
            if let h = high { bytes.append(h << 4 | nibble); high = nil } else { high = nibble }
        }
        return bytes.isEmpty ? nil : bytes
    }

    /// Reads IFD0 of a TIFF structure for Orientation (0x0112) and the GPS IFD pointer (0x8825).
    static func parseTIFF(_ tiff: ArraySlice<UInt8>) -> EXIFReading {
        var reading = EXIFReading()
        let t = Array(tiff)
        guard t.count >= 8 else {
            reading.problem = "EXIF block too short for a TIFF header"
            return reading
        }
        let bigEndian: Bool
        switch (t[0], t[1]) {
        case (0x4D, 0x4D): bigEndian = true
        case (0x49, 0x49): bigEndian = false
        default:
            reading.problem = "EXIF block has no TIFF byte-order mark"
            return reading
        }
        func u16(_ at: Int) -> Int? {
            guard at >= 0, at + 2 <= t.count else { return nil }
            return bigEndian ? Int(t[at]) << 8 | Int(t[at + 1]) : Int(t[at + 1]) << 8 | Int(t[at])
        }
        func u32(_ at: Int) -> Int? {
            guard at >= 0, at + 4 <= t.count else { return nil }
            let b = (Int(t[at]), Int(t[at + 1]), Int(t[at + 2]), Int(t[at + 3]))
            return bigEndian ? b.0 << 24 | b.1 << 16 | b.2 << 8 | b.3 : b.3 << 24 | b.2 << 16 | b.1 << 8 | b.0
        }
        guard u16(2) == 42, let ifd = u32(4) else {
            reading.problem = "EXIF TIFF header is malformed"
            return reading
        }
        guard let count = u16(ifd), ifd >= 8, ifd + 2 + count * 12 <= t.count else {
            reading.problem = "EXIF IFD0 lies outside the EXIF block"
            return reading
        }
        for entry in 0..<count {
            let at = ifd + 2 + entry * 12
            guard let tag = u16(at), let type = u16(at + 2), let n = u32(at + 4) else { break }
            switch tag {
            case 0x0112:
                let value: Int?
                switch (type, n) {
                case (3, 1...): value = u16(at + 8)  // SHORT, as the standard says
                case (4, 1...): value = u32(at + 8)  // LONG, seen from some writers
                default: value = nil
                }
                if let value, let orientation = Orientation(rawValue: value) {
                    reading.orientation = orientation
                } else if let value, type == 3 || type == 4 {
                    reading.problem = "EXIF orientation \(value) is not one of 1-8; treated as 1"
                } else {
                    reading.problem = "EXIF orientation is unreadable (type \(type), count \(n), value \(value.map(String.init) ?? "none")); treated as 1"
                }
            case 0x8825:
                reading.hasGPS = true
            default:
                break
            }
        }
        return reading
    }
}
