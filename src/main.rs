fn main() -> std::process::ExitCode {
    genekg::cli::main()
}
