/// One directory the walk enters: where it is, what it must still be when opened, and its place
/// in walk order (the chain of its parents, each with its position among its siblings).
///
/// The walk thread creates the node of each directory argument; reading a directory creates the
/// nodes of the subdirectories it will enter. `state` and `heapIndex` belong to the
/// `DirectoryReadPool` that reads ahead, under its lock; a serial walk never touches them.
final class DirectoryNode: @unchecked Sendable {
    /// The path it is opened by, as printed.
    let path: RawPath
    /// (device, inode) that listing it found; the open directory must still have it.
    let identity: FileIdentity
    /// It was reached through a symbolic link (or is an argument), so the link is followed on open.
    let followLastLink: Bool
    /// `st_dev` of the argument it was found under, for `CatalogOptions.oneFileSystem`.
    let rootDevice: UInt64
    /// The directory it was found in; nil for an argument.
    let parent: DirectoryNode?
    /// Its position among its parent's entries in name order (for an argument: the argument's
    /// position), so that comparing the chains gives walk order.
    let ordinal: Int
    /// 0 for an argument, its parent's plus one otherwise.
    let depth: Int

    /// Where a read-ahead walk stands with this directory (guarded by the pool's lock).
    var state: State = .new
    /// Its slot in the pool's heap while `state` is `.queued`.
    var heapIndex = -1

    /// The life of a node in a `DirectoryReadPool`.
    enum State {
        /// Not handed to the pool yet (an argument, until the walk asks for it).
        case new
        /// Waiting in the heap for a thread to read it.
        case queued
        /// Being read; `ahead` when by a thread reading ahead (it counts against the look-ahead bound).
        case reading(ahead: Bool)
        /// Read; its listing waits for the walk to reach it.
        case read(DirectoryListing, ahead: Bool)
        /// The walk took its listing.
        case taken
    }

    /// A node for a directory argument (`ordinal`: the argument's position).
    init(argument path: RawPath, status: FileStatus, ordinal: Int) {
        self.path = path
        identity = status.identity
        followLastLink = true
        rootDevice = status.device
        parent = nil
        self.ordinal = ordinal
        depth = 0
    }

    /// A node for a subdirectory of `parent`, the entry at `ordinal` in its name order.
    init(path: RawPath, identity: FileIdentity, viaSymlink: Bool, parent: DirectoryNode, ordinal: Int) {
        self.path = path
        self.identity = identity
        followLastLink = viaSymlink
        rootDevice = parent.rootDevice
        self.parent = parent
        self.ordinal = ordinal
        depth = parent.depth + 1
    }

    /// Whether `identity` is this directory's or one of its parents': entering a directory with
    /// it again would loop. The chain is what a depth-first walk has open when it reaches this
    /// directory's entries, so the answer does not depend on when or where the directory is read.
    /// O(depth), and the depth is bounded by `PATH_MAX`: each level adds at least two bytes to
    /// the path the directory is opened by.
    func isOnPath(_ identity: FileIdentity) -> Bool {
        // Unretained: each node holds its parent, and `self` is alive for the call.
        unowned(unsafe) var node = self
        while node.identity != identity {
            guard let parent = node.parent else { return false }
            node = parent
        }
        return true
    }

    /// Whether `self` comes before `other` in walk order: depth-first, entries in name order,
    /// arguments in turn. A directory comes before everything inside it.
    func precedes(_ other: DirectoryNode) -> Bool {
        var left = self
        var right = other
        while left.depth > right.depth { left = left.parent! }
        while right.depth > left.depth { right = right.parent! }
        if left === right { return depth < other.depth }
        // Climb to the children of the closest common directory (or to the arguments).
        while left.parent !== right.parent {
            left = left.parent!
            right = right.parent!
        }
        return left.ordinal < right.ordinal
    }
}
