import ArgumentParser
import Foundation
import Sluice

extension SluiceCommand {
    /// Runs the command like ArgumentParser's `main()`, but with the exit statuses of docs/cli.md:
    /// a usage error (unknown option, invalid value, failed validation) or a setup error such as
    /// an unsatisfiable `--device` exits with 2, not ArgumentParser's 64 (`EX_USAGE`).
    static func main() {
        Diagnostics.reserveStandardDescriptors()
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let error as SetupError {
            printError("sluice: error: \(error.description)")
            Foundation.exit(2)
        } catch let error as OutputError {
            // The results (or the summary file) could not be written: not the same as some
            // files failing (1), nor a usage error (2).
            printError("sluice: error: \(error.description)")
            Foundation.exit(3)
        } catch let error as DeviceSelectionError {
            printError("sluice: error: \(error.message)")
            Foundation.exit(2)
        } catch {
            guard exitCode(for: error) == .validationFailure else { exit(withError: error) }
            printError(fullMessage(for: error))
            Foundation.exit(2)
        }
    }
}
