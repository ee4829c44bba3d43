/// The version `sluice --version` prints (semantic versioning; 0.x while the interfaces settle).
public enum SluiceVersion {
    public static let current = "0.4.0"
}
