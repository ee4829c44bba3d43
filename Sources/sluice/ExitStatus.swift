import ArgumentParser
import Foundation
import Sluice

extension SluiceCommand {
    /// Runs the command like ArgumentParser's `main()`, but with the exit statuses of DESIGN.md:
    /// a usage error (unknown option, invalid value, failed validation) or a setup error such as
    /// an unsatisfiable `--device` exits with 2, not ArgumentParser's 64 (`EX_USAGE`).
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let error as SetupError {
            printError("sluice: error: \(error.description)")
            Foundation.exit(2)
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
