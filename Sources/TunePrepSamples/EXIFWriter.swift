/// Writes the smallest EXIF block that carries an orientation (and optionally a GPS pointer):
/// enough for samples and test fixtures that must look like phone photos.
public enum EXIFWriter {
    /// An APP1 payload ("Exif\0\0" + big-endian TIFF) with IFD0 holding Orientation and, when
    /// `withGPS`, a GPS IFD with a latitude reference.
    public static func app1(orientation: Int, withGPS: Bool = false) -> [UInt8] {
        [0x45, 0x78, 0x69, 0x66, 0, 0] + tiff(orientation: orientation, withGPS: withGPS)
    }

    /// The TIFF body of that EXIF block alone, without the "Exif" header (as PNG's eXIf chunk holds it).
    public static func tiff(orientation: Int, withGPS: Bool = false) -> [UInt8] {
        var bytes: [UInt8] = [0x4D, 0x4D, 0x00, 0x2A, 0, 0, 0, 8]
        func u16(_ v: Int) { bytes += [UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }
        func u32(_ v: Int) { bytes += [UInt8(v >> 24 & 0xFF), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }
        let entries = withGPS ? 2 : 1
        u16(entries)
        u16(0x0112); u16(3); u32(1); u16(orientation); u16(0)  // Orientation, SHORT
        if withGPS {
            let gpsOffset = 8 + 2 + entries * 12 + 4
            u16(0x8825); u16(4); u32(1); u32(gpsOffset)  // GPS IFD pointer
        }
        u32(0)  // no next IFD
        if withGPS {
            u16(1)
            u16(0x0001); u16(2); u32(2); bytes += [0x4E, 0, 0, 0]  // GPSLatitudeRef "N"
            u32(0)
        }
        return bytes
    }
}
