import Foundation

/// Where a finished prompt's pictures come from, and the check that a file is a JPEG a client can decode.
struct PromptImages: Sendable {
    /// `MockServerOptions.promptImagesDirectory`.
    var directory: URL?

    /// The folder's `.jpg`/`.jpeg` files in name order (read each time, so files added later count).
    static func files(in directory: URL) -> [URL] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names
            .filter { !$0.hasPrefix(".") && ["jpg", "jpeg"].contains(($0 as NSString).pathExtension.lowercased()) }
            .sorted()
            .map { directory.appendingPathComponent($0) }
    }

    /// The pictures to rotate through for a prompt of a tune with these uploads: the folder's,
    /// else the uploads that `isPicture` accepts, else none (the caller then uses ``builtIn``).
    func sources(uploads: [StoredImage], isPicture: (URL) -> Bool) -> [URL] {
        if let directory { return Self.files(in: directory) }
        return uploads.map { URL(fileURLWithPath: $0.path) }.filter(isPicture)
    }

    /// A 48x32 baseline JPEG (sky, sun, grass; 577 bytes, made with Pillow at quality 80): the
    /// picture every prompt gets when there is nothing better, so that a client always has a real
    /// JPEG to decode.
    static let builtIn = Data(base64Encoded: """
        /9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAYEBQYFBAYGBQYHBwYIChAKCgkJChQODwwQFxQYGBcUFhYaHSUfGhsjHBYWICwgIyYn
        KSopGR8tMC0oMCUoKSj/2wBDAQcHBwoIChMKChMoGhYaKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgo
        KCgoKCgoKCj/wAARCAAgADADASIAAhEBAxEB/8QAGQAAAwEBAQAAAAAAAAAAAAAAAAQHBQYD/8QAKBAAAAQEBQQDAQAAAAAAAAAA
        AAECAwQFERMVVGGj0QYSITEUUXGR/8QAGQEAAgMBAAAAAAAAAAAAAAAAAAQBBQYC/8QAJREAAQMDAgYDAAAAAAAAAAAAAQACAwQF
        ERQhBhIxUYHBE0Fh/9oADAMBAAIRAxEAPwB+xoCxoNSwCwNVrf1Z/wCBZdjQMS+VvR8UliGRVZ+zP0kvs9A5YHQ9HvNQ0Q+y6fap
        7t7DP0ZlXx++Qhc7rLTUr5YRzOA2Hvx1TFNSNklax5wCkJj0W7DwqnYZ/wCStPk27faZlp5Op6DmbGgsD7rbDSnXVElCSqZmJzHJ
        KIjYh5JGSXHFLIj90M6ik4av9ZWNe2q3x0djHjbATtzt8MJaYts/XtK4/KM3tr4Bj8oze2vgT0AW1sir9Q7sFQsflGb218Ax+UZv
        bXwJ6AGtkRqHdgqQ71RL3kkl6YuOJI60Ulwyr/B44/KM3tr4E9AOW1b2DDQAFJqXncr/2Q==
        """, options: .ignoreUnknownCharacters)!
}

/// Just enough of JPEG's structure to tell a decodable file from one that only starts like a JPEG
/// (the tests' fixtures are a JFIF header and noise): SOI, marker segments up to a frame header
/// and a scan, and an EOI after the scan.
enum JPEG {
    static func isWellFormed(_ data: Data) -> Bool {
        let b = [UInt8](data)
        guard b.count >= 4, b[0] == 0xFF, b[1] == 0xD8 else { return false }
        var i = 2
        var sawFrame = false
        while i + 1 < b.count {
            guard b[i] == 0xFF else { return false }
            var marker = b[i + 1]
            i += 2
            // Fill bytes before a marker.
            while marker == 0xFF, i < b.count {
                marker = b[i]
                i += 1
            }
            if marker == 0x01 || (0xD0...0xD7).contains(marker) { continue }  // no length
            if marker == 0xD9 || marker == 0x00 { return false }  // EOI before a scan
            guard i + 1 < b.count else { return false }
            let length = Int(b[i]) << 8 | Int(b[i + 1])
            guard length >= 2 else { return false }
            // SOF0 to SOF15, less DHT (C4), JPG (C8) and DAC (CC).
            if (0xC0...0xCF).contains(marker), ![0xC4, 0xC8, 0xCC].contains(marker) { sawFrame = true }
            if marker == 0xDA {
                guard sawFrame else { return false }
                // Entropy-coded data never holds FF D9 (an FF there is stuffed as FF 00).
                let scan = i + length
                guard scan < b.count else { return false }
                return (scan..<(b.count - 1)).contains { b[$0] == 0xFF && b[$0 + 1] == 0xD9 }
            }
            i += length
        }
        return false
    }
}
