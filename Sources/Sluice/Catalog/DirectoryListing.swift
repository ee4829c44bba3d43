/// What the walk does at one entry of a directory, decided when the directory is read (by the
/// walk thread or by a thread reading ahead of it), acted on when the walk reaches it.
enum WalkStep {
    /// A regular file to list.
    case file(FileJob)
    /// Something to report at this place in the walk (a skipped link, a FIFO, a loop, an entry
    /// that vanished, …).
    case problem(FileProblem)
    /// A subdirectory to walk here.
    case enter(DirectoryNode)
}

/// One directory as reading it found it: the steps of its entries, or the reason it could not
/// be read. Entries left out (`--exclude`, `-x`, `excludedFiles`) have no step.
struct DirectoryListing {
    /// Problems of the directory itself (it could not be opened, was replaced, `readdir` failed
    /// midway), reported where the walk reaches it, before its entries.
    var problems: [FileProblem]
    /// The entries' steps, last first so that `popLast` yields name order; nil when the
    /// directory could not be read.
    var steps: [WalkStep]?
}
