//! The `sigmascope` binary: everything lives in the library; see `sigmascope::cli`.

fn main() -> std::process::ExitCode {
    sigmascope::cli::main()
}
