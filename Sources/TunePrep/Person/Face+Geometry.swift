/// The box arithmetic of the person checks on ``Face`` (whose record lives in TunePrepManifest).
extension Face {
    /// True when `other`'s centre lies inside this box.
    func contains(centreOf other: Face) -> Bool {
        let cx = other.x + other.width / 2, cy = other.y + other.height / 2
        return cx >= x && cx < x + width && cy >= y && cy < y + height
    }

    /// Intersection over union of the two boxes (0 apart, 1 the same box).
    func overlap(_ other: Face) -> Double {
        let w = min(x + width, other.x + other.width) - max(x, other.x)
        let h = min(y + height, other.y + other.height) - max(y, other.y)
        guard w > 0, h > 0 else { return 0 }
        let both = Double(width * height + other.width * other.height - w * h)
        return both > 0 ? Double(w * h) / both : 0
    }

    /// The edges of a `width` x `height` image this box is cut by: crossed by more than
    /// `tolerance` of the face's size, or (the CNN boxes only what it sees) touched by a box much
    /// narrower (left, right) or flatter (top, bottom) than a whole face, whose box is about 0.7
    /// as wide as it is tall.
    func cutEdges(imageWidth: Int, imageHeight: Int, tolerance: Double) -> [String] {
        let dx = Double(width) * tolerance, dy = Double(height) * tolerance
        let near = 0.03 * Double(height)
        let narrow = Double(width) < 0.5 * Double(height), flat = Double(height) < 1.0 * Double(width)
        var sides: [String] = []
        if Double(y) < -dy || (flat && Double(y) <= near) { sides.append("top") }
        if Double(y + height) > Double(imageHeight) + dy || (flat && Double(y + height) >= Double(imageHeight) - near) { sides.append("bottom") }
        if Double(x) < -dx || (narrow && Double(x) <= near) { sides.append("left") }
        if Double(x + width) > Double(imageWidth) + dx || (narrow && Double(x + width) >= Double(imageWidth) - near) { sides.append("right") }
        return sides
    }
}

extension PixelBuffer {
    /// This image scaled to fit inside `width` x `height`, as the networks take it: an area
    /// average down, Lanczos up by at most 2x (a small photo's face grows, a network's input is
    /// never more than twice the photo); itself when it already fits at that scale.
    func fitted(width maxWidth: Int, height maxHeight: Int) -> PixelBuffer {
        let scale = min(2, Double(maxWidth) / Double(width), Double(maxHeight) / Double(height))
        let w = min(maxWidth, max(1, Int((Double(width) * scale).rounded(.down))))
        let h = min(maxHeight, max(1, Int((Double(height) * scale).rounded(.down))))
        return w == width && h == height ? self : Resampler.resize(self, width: w, height: h, filter: scale < 1 ? .box : .lanczos3)
    }
}
