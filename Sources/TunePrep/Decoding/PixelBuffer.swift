import CTunePrepImaging
import Foundation

/// An 8-bit RGB raster, rows packed (3 bytes a pixel). Owns its memory, which may come from the
/// C decoders (malloc) or be allocated here; either way it is released with `free`.
public final class PixelBuffer: @unchecked Sendable {
    /// Width in pixels.
    public let width: Int
    /// Height in pixels.
    public let height: Int
    let pixels: UnsafeMutablePointer<UInt8>

    /// Takes ownership of `pixels`, which must have been allocated with malloc.
    init(adopting pixels: UnsafeMutablePointer<UInt8>, width: Int, height: Int) {
        self.pixels = pixels
        self.width = width
        self.height = height
    }

    /// A zero-filled raster.
    public init(width: Int, height: Int) {
        precondition(width > 0 && height > 0, "a raster needs at least one pixel")
        self.width = width
        self.height = height
        let raw = calloc(width * height * 3, 1)!
        pixels = raw.assumingMemoryBound(to: UInt8.self)
    }

    /// A raster whose bytes the caller writes in full before reading any (a resampler's output).
    init(uninitializedWidth width: Int, height: Int) {
        precondition(width > 0 && height > 0, "a raster needs at least one pixel")
        self.width = width
        self.height = height
        pixels = malloc(width * height * 3)!.assumingMemoryBound(to: UInt8.self)
    }

    /// A raster filled from packed RGB bytes.
    public convenience init(width: Int, height: Int, rgb bytes: [UInt8]) {
        precondition(bytes.count == width * height * 3, "need width * height * 3 bytes")
        self.init(width: width, height: height)
        bytes.withUnsafeBufferPointer { pixels.update(from: $0.baseAddress!, count: $0.count) }
    }

    deinit { free(pixels) }

    /// Size of the raster in bytes (3 a pixel).
    public var byteCount: Int { width * height * 3 }
    /// Bytes from one row to the next (rows are packed, no padding).
    public var stride: Int { width * 3 }

    /// The RGB value of the pixel at column `x`, row `y`; the coordinates are not checked.
    public subscript(x: Int, y: Int) -> (red: UInt8, green: UInt8, blue: UInt8) {
        let i = (y * width + x) * 3
        return (pixels[i], pixels[i + 1], pixels[i + 2])
    }

    /// The raster as packed RGB bytes (a copy).
    public var bytes: [UInt8] { Array(UnsafeBufferPointer(start: pixels, count: byteCount)) }

    /// Lends the raster's packed RGB bytes to `body` without copying them.
    public func withUnsafeBytes<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(start: pixels, count: byteCount))
    }
}
