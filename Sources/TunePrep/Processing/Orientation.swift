import CTunePrepResample

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

    /// The size of a stored `width` x `height` raster once turned upright.
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
    /// A new raster turned upright: each pixel copied to where `Orientation.layout` puts it.
    package func oriented(_ orientation: Orientation) -> PixelBuffer {
        if orientation == .up { return self }
        let size = orientation.orientedSize(width: width, height: height)
        let output = PixelBuffer(uninitializedWidth: size.width, height: size.height)
        let layout = orientation.layout(width: width, height: height)
        CTunePrepResample_orient_rgb(
            pixels, stride, Int32(width), Int32(height), output.pixels + layout.origin, layout.pixelStep, layout.rowStep)
        return output
    }
}
