/// mimalloc rather than glibc's malloc: a GraphQL request allocates many small, short-lived
/// objects (parsed values, futures, response strings) across worker threads, and under load
/// glibc's allocator was the largest user-space cost of the server (~16% of its CPU in
/// malloc/free/consolidate, by `perf record` during scripts/bench-http.sh).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// libtorch allocates through glibc's malloc (not the allocator above) and needs a fresh
/// `[rows, genes]` block of ~40 MB for every inference batch. glibc serves blocks that large with
/// mmap and unmaps them at free, so every batch paid ~10,000 page faults: `genekg model predict`
/// spent 15 of its 60 s in the kernel. Raising the thresholds keeps freed blocks in the heap for
/// the next batch (up to 1 GiB of freed memory may stay with the process).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn keep_large_blocks_in_heap() {
    const GIB: libc::c_int = 1 << 30;
    // SAFETY: mallopt only changes allocator thresholds; called before any thread starts.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, GIB / 2);
        libc::mallopt(libc::M_TRIM_THRESHOLD, GIB);
    }
}

fn main() -> std::process::ExitCode {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    keep_large_blocks_in_heap();
    genekg::cli::main()
}
