import XCTest
@testable import Sluice

final class RawPathTests: XCTestCase {
    func testNonUTF8NameKeepsItsBytesAndPrintsReplacementCharacter() {
        let path = RawPath(bytes: [0x61, 0xFF, 0x62])
        XCTAssertFalse(path.isValidUTF8)
        XCTAssertEqual(path.bytes, [0x61, 0xFF, 0x62])
        XCTAssertEqual(path.description, "a\u{FFFD}b")
    }

    func testAppendingDoesNotDoubleTheSeparator() {
        XCTAssertEqual(RawPath("dir/").appending(Array("x".utf8)), RawPath("dir/x"))
        XCTAssertEqual(RawPath("dir").appending(Array("x".utf8)), RawPath("dir/x"))
    }
}
