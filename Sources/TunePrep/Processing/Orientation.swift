/// The eight EXIF orientations: how the stored raster must be turned to stand upright.
public enum Orientation: Int, Sendable, Codable, CaseIterable {
    case up = 1
    case upMirrored = 2
    case down = 3
    case downMirrored = 4
    case leftMirrored = 5
    case right = 6
    case rightMirrored = 7
    case left = 8

    /// True when width and height trade places.
    public var swapsDimensions: Bool { rawValue >= 5 }

    public func orientedSize(width: Int, height: Int) -> (width: Int, height: Int) {
        swapsDimensions ? (height, width) : (width, height)
    }

    /// Where pixel (x, y) of a stored `width` x `height` RGB raster lands in the upright one, as
    /// byte offsets: `origin + x * pixelStep + y * rowStep`. The inverse of the reads in
    /// `PixelBuffer.oriented(_:)`; it lets a pass write its output already upright.
    func layout(width: Int, height: Int) -> (origin: Int, pixelStep: Int, rowStep: Int) {
        let row = orientedSize(width: width, height: height).width * 3
        let right = (width - 1), bottom = (height - 1)
        switch self {
        case .up: return (0, 3, row)
        case .upMirrored: return (right * 3, -3, row)
        case .down: return (bottom * row + right * 3, -3, -row)
        case .downMirrored: return (bottom * row, 3, -row)
        case .leftMirrored: return (0, row, 3)
        case .right: return (bottom * 3, row, -3)
        case .rightMirrored: return (right * row + bottom * 3, -row, -3)
        case .left: return (right * row, -row, 3)
        }
    }
}

extension PixelBuffer {
    /// A new raster turned upright. Each output pixel is read from the source by a start offset
    /// and two steps, so one loop serves all eight cases.
    func oriented(_ orientation: Orientation) -> PixelBuffer {
        if orientation == .up { return self }
        let (outWidth, outHeight) = orientation.orientedSize(width: width, height: height)
        let output = PixelBuffer(uninitializedWidth: outWidth, height: outHeight)
        let s = stride, last = (height - 1) * s, right = (width - 1) * 3
        let (start, stepX, stepY): (Int, Int, Int)
        switch orientation {
        case .up: (start, stepX, stepY) = (0, 3, s)
        case .upMirrored: (start, stepX, stepY) = (right, -3, s)
        case .down: (start, stepX, stepY) = (last + right, -3, -s)
        case .downMirrored: (start, stepX, stepY) = (last, 3, -s)
        case .leftMirrored: (start, stepX, stepY) = (0, s, 3)
        case .right: (start, stepX, stepY) = (last, -s, 3)
        case .rightMirrored: (start, stepX, stepY) = (last + right, -s, -3)
        case .left: (start, stepX, stepY) = (right, s, -3)
        }
        let source = pixels, target = output.pixels, outStride = output.stride
        // In 64x64 tiles: a turn reads the source down its columns, and a tile's worth of source
        // rows stays in cache while it is read.
        let tile = 64
        for tileY in Swift.stride(from: 0, to: outHeight, by: tile) {
            for tileX in Swift.stride(from: 0, to: outWidth, by: tile) {
                let xEnd = min(tileX + tile, outWidth)
                for y in tileY..<min(tileY + tile, outHeight) {
                    var from = start + y * stepY + tileX * stepX
                    var out = target + y * outStride + tileX * 3
                    for _ in tileX..<xEnd {
                        out[0] = source[from]
                        out[1] = source[from + 1]
                        out[2] = source[from + 2]
                        out += 3
                        from += stepX
                    }
                }
            }
        }
        return output
    }
}
