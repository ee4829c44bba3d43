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
            finish(2)
        } catch let error as OutputError {
            // The results (or the summary file) could not be written: not the same as some
            // files failing (1), nor a usage error (2).
            printError("sluice: error: \(error.description)")
            finish(3)
        } catch let error as DeviceSelectionError {
            printError("sluice: error: \(error.message)")
            finish(2)
        } catch let error as LaneSetupError {
            printError("sluice: error: \(error.message)")
            finish(2)
        } catch {
            let code = exitCode(for: error)
            if code == .validationFailure {
                printError(fullMessage(for: error))
                finish(2)
            }
            if StartingLane.anyRunning {
                let message = fullMessage(for: error)
                if !message.isEmpty { printError(message) }
                finish(code.rawValue)
            }
            exit(withError: error)
        }
        finish(0)
    }

    /// Exits with `status`. While an OpenCL lane is still starting (a run that ended before its
    /// device was ready), the process leaves with `_exit` after flushing stdio: the normal exit
    /// runs the OpenCL libraries' destructors under the thread that is inside them, which
    /// crashed (SIGSEGV in PoCL's LLVM) on short runs with `--device auto`.
    static func finish(_ status: Int32) -> Never {
        if StartingLane.anyRunning {
            fflush(nil)
            _exit(status)
        }
        Foundation.exit(status)
    }
}
