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
            printError("sluice: \(error.description)")
            finish(2)
        } catch let error as OutputError {
            // The results (or the summary file) could not be written: not the same as some
            // files failing (1), nor a usage error (2).
            printError("sluice: \(error.description)")
            finish(3)
        } catch let error as DeviceSelectionError {
            printError("sluice: \(error.message)")
            finish(2)
        } catch let error as LaneSetupError {
            printError("sluice: \(error.message)")
            finish(2)
        } catch {
            let code = exitCode(for: error)
            if code == .success, !(error is ExitCode) {
                // --help, --version: ArgumentParser's text, on stdout.
                print(fullMessage(for: error))
                finish(0)
            }
            if error is ExitCode || error is CleanExit {
                finish(code.rawValue)
            }
            if code == .validationFailure {
                printError(ErrorMessage.usage(error, command: subcommandName()))
                finish(2)
            }
            printError(ErrorMessage.other(error))
            finish(code == .success ? 1 : code.rawValue)
        }
        finish(0)
    }

    /// The subcommand named on the command line, for the `--help` hint.
    static func subcommandName() -> String? {
        let names = configuration.subcommands.map { $0.configuration.commandName ?? "\($0)".lowercased() }
        return CommandLine.arguments.dropFirst().first { names.contains($0) }
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
