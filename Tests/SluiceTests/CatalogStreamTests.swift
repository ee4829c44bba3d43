import XCTest
@testable import Sluice

/// The catalog stream keeps its jobs in chunks (`JobList`): every position must read back the
/// job stored there, across chunk boundaries, whether the stream was appended to by a walk or
/// built from a sorted catalog.
final class CatalogStreamTests: XCTestCase {
    private func job(_ number: Int, index: Int = 0) -> FileJob {
        FileJob(index: index, path: RawPath("f\(number)"), size: UInt64(number), mtimeNanoseconds: 0, device: 0,
                inode: UInt64(number))
    }

    func testAppendedJobsReadBackAtEveryPositionAcrossChunks() {
        let count = 3 * JobList.chunkJobs + 5
        let stream = CatalogStream()
        // Uneven groups, as the walk sends them, so groups straddle chunk boundaries.
        var next = 0
        for size in [1, JobList.chunkJobs - 2, 3, JobList.chunkJobs, 7, count] where next < count {
            let end = min(count, next + size)
            stream.append(files: (next ..< end).map { job($0) }, problems: [])
            next = end
        }
        stream.close(listingSeconds: 0)
        XCTAssertEqual(stream.snapshot.count, count)
        XCTAssertEqual(stream.snapshot.bytes, UInt64(count * (count - 1) / 2))
        for position in [0, 1, JobList.chunkJobs - 1, JobList.chunkJobs, JobList.chunkJobs + 1, 2 * JobList.chunkJobs, count - 1] {
            let found = stream.job(at: position)
            XCTAssertEqual(found.index, position, "positions are given in append order")
            XCTAssertEqual(found.path, RawPath("f\(position)"))
            XCTAssertEqual(found.size, UInt64(position))
        }
        XCTAssertNil(stream.jobIfListed(at: count))
        XCTAssertNil(stream.waitForJob(at: count), "closed with fewer jobs")
        let all = stream.jobsSoFar
        XCTAssertEqual(all.map(\.size), (0 ..< count).map(UInt64.init))
        XCTAssertEqual(all.map(\.index), Array(0 ..< count))
    }

    func testAStreamBuiltFromACatalogKeepsItsOrderAndIndices() {
        // A size-ordered catalog: positions follow the order, indices keep the given positions.
        let count = JobList.chunkJobs + 10
        let jobs = (0 ..< count).reversed().map { job($0, index: $0) }
        let stream = CatalogStream(catalog: Catalog(jobs: jobs, problems: []))
        XCTAssertEqual(stream.snapshot.count, count)
        XCTAssertTrue(stream.snapshot.complete)
        for position in [0, JobList.chunkJobs - 1, JobList.chunkJobs, count - 1] {
            XCTAssertEqual(stream.job(at: position).index, count - 1 - position)
        }
        XCTAssertEqual(stream.jobsSoFar.map(\.index), jobs.map(\.index))
    }
}
