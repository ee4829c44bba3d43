/// The jobs of a `CatalogStream`, stored in chunks of `chunkJobs`: appending never moves the
/// jobs already stored.
///
/// One growing array copied every job at each doubling, while the walk held the stream's lock
/// (a million jobs: 56 MB copied at once, the readers waiting), and touched fresh pages for each
/// copy: about 690 of tiny's 3 400–4 100 page faults, which cost 5–36 µs each on the development
/// VM (performance.md, eighth session).
struct JobList {
    /// Jobs per chunk (4096 × 56 bytes: 224 KiB).
    static let chunkJobs = 4096
    private var chunks: [[FileJob]] = []
    /// Jobs stored.
    private(set) var count = 0

    init() {}

    init(_ jobs: [FileJob]) {
        for job in jobs { append(job) }
    }

    mutating func append(_ job: FileJob) {
        if count % Self.chunkJobs == 0 {
            chunks.append([])
            chunks[chunks.count - 1].reserveCapacity(Self.chunkJobs)
        }
        chunks[chunks.count - 1].append(job)
        count += 1
    }

    /// The job at `position` (< `count`).
    subscript(position: Int) -> FileJob {
        chunks[position / Self.chunkJobs][position % Self.chunkJobs]
    }

    /// Every job, in order, as one array.
    var all: [FileJob] { Array(chunks.joined()) }
}
