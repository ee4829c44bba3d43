import ArgumentParser
import Foundation
import Sluice
import SluiceStore

/// `sluice export`: a results store's results as b3sum lines, JSONL or CSV (docs/results.md).
struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a results store's results as b3sum lines, JSONL records or CSV rows, in path order.",
        discussion: """
            b3sum: HEX  PATH for every ok result with a digest (what sluice check and b3sum --check read); \
            jsonl: the records sluice run --format jsonl writes, one per stored result; csv: every column of \
            the results table, with a header. Exit status: 0 written; 2 the store cannot be read (or, for \
            b3sum, holds digests of several kernel fingerprints and --fingerprint was not given); 3 the output \
            could not be written.
            """)

    @Argument(help: ArgumentHelp("The results store.", valueName: "FILE"))
    var file: String

    @Option(name: .long, help: "b3sum (the default), jsonl or csv.")
    var format: ExportFormat = .b3sum

    @Option(name: .long, help: ArgumentHelp(
        "Only the results of this kernel fingerprint, as the store names it (e.g. 'blake3 length=32 mode=hash').",
        valueName: "TEXT"))
    var fingerprint: String?

    func run() throws {
        let store: ResultsStore
        do {
            store = try ResultsStore(path: file, label: file, access: .read)
        } catch let error as StoreError {
            throw SetupError(error.description)
        }
        do {
            try StoreExport.write(store, format: format, fingerprint: fingerprint, to: Sluice.OutputStream(fd: 1))
        } catch let error as StoreError {
            throw SetupError(error.description)
        }
    }
}

/// Formats `export --format` accepts.
typealias ExportFormat = StoreExport.Format
extension StoreExport.Format: ArgumentChoice {}
