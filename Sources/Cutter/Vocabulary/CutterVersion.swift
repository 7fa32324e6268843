/// What `cutter version` prints and `cutter_build_info` exports.
public enum CutterVersion {
    /// Cutter's release version.
    public static let current = "0.5.0"

    /// The Swift compiler that built this binary.
    public static var swift: String {
        #if compiler(>=6.3)
        "6.3"
        #elseif compiler(>=6.2)
        "6.2"
        #elseif compiler(>=6.1)
        "6.1"
        #else
        "6.0"
        #endif
    }
}
