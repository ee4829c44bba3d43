import Foundation

/// The order in which the catalog hands out its jobs.
public enum CatalogOrder: String, Sendable, CaseIterable {
    /// Largest file first, ties broken by path bytes: the long files start early, so the tail
    /// of a run (one core busy, the others idle) is short. The default.
    case size
    /// Bytewise path order: reproducible listings independent of sizes.
    case path
    /// Argument order, each directory's walk in name order at its place.
    case given
}

/// What the catalog lists and how.
public struct CatalogOptions: Sendable {
    /// Follow symbolic links met during the walk (named ones are always followed).
    /// Directory loops are then detected by (device, inode) and reported once.
    public var follow = false
    /// The order of `Catalog.jobs`.
    public var order: CatalogOrder = .size
    /// Keep only this shard of the files (`--shard K/N`); `nil` keeps everything.
    public var shard: Shard?
    /// A file listing more paths, one per line (or per NUL, see `filesFromNulSeparated`);
    /// `-` reads standard input. Its entries behave like arguments and come after them.
    public var filesFrom: RawPath?
    /// Entries of `filesFrom` are separated by NUL bytes instead of newlines (`-0`), which
    /// allows names that contain newlines.
    public var filesFromNulSeparated = false

    /// Entries met while walking that are left out, silently: a pattern without `/` is matched
    /// (`fnmatch`, shell wildcards) against each entry's name, one with `/` against the whole path
    /// as printed, where `*` also matches `/` (as `find -path`). An excluded directory is not
    /// entered. Arguments themselves are never excluded.
    public var exclude: [String] = []
    /// Do not enter directories on another file system than the argument they were found under
    /// (`find -xdev`, `rsync -x`); they are left out silently.
    public var oneFileSystem = false
    /// Take `-`, FIFOs and character devices named as arguments as streams (`FileJob.isStream`,
    /// read to their end as `sluice run` does); false skips them like other special files (as
    /// `check` does: a list entry that is a FIFO would wait for a writer).
    public var readsStreams = false
    /// Standard input is already used (it holds the `--files-from` list or the key): a `-` among
    /// the paths is then an error for that entry, as is a second `-`.
    public var standardInputTaken = false
    /// Files never listed, wherever they are met (a run's own output file inside the tree).
    public var excludedFiles: Set<FileIdentity> = []
    /// List the regular files met while walking by their directory entries alone (`d_type`),
    /// without a `stat` each: the reader takes size, mtime and identity with `fstat` when it
    /// opens the file (`FileJob.statusAtOpen`). For runs that need nothing of a file before
    /// reading it: not for size order (`Catalog.build` then ignores it), a resume that compares listed sizes and mtimes, or a
    /// progress line that shows the bytes listed. Only on file systems whose `d_ino` is the
    /// file's `st_ino` (`DirectoryReader.entryInodeFileSystems`), so that `excludedFiles`
    /// still matches by the entry's inode; other entries, and directories, are `stat`-ed.
    public var statusAtOpen = false

    /// Threads that read directories during the walk, the walk's own thread included: with more
    /// than 1, directories the walk will enter are read ahead of it on several threads and the
    /// walk still hands out files and problems in given order, the same ones in the same order
    /// (docs/catalog-and-reader.md, The parallel walk). 1 reads each directory on the walk's
    /// thread when the walk reaches it. Default: `defaultWalkThreads(cores:)` of this machine.
    public var walkThreads = CatalogOptions.defaultWalkThreads(cores: HostCores.active)
    /// How far the threads reading ahead may get (directories and entries read but not yet reached).
    var walkLookAhead = WalkLookAhead()

    /// The default `walkThreads`: one per core, at most 8.
    public static func defaultWalkThreads(cores: Int) -> Int { max(1, min(8, cores)) }

    /// Defaults: no following, largest first, no shard, no list file, nothing excluded.
    public init() {}
}
