/// mimalloc rather than glibc's malloc: a GraphQL request allocates many small, short-lived
/// objects (parsed values, futures, response strings) across worker threads, and under load
/// glibc's allocator was the largest user-space cost of the server (~16% of its CPU in
/// malloc/free/consolidate, by `perf record` during scripts/bench-http.sh).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    genekg::cli::main()
}
