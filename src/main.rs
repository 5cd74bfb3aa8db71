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

/// mimalloc returns ("purges") freed pages to the OS 10 ms after they fall empty, and the next
/// allocation there faults them in again, zeroed by the kernel. Batch prediction frees and
/// reallocates ~80 KB rows for every set it answers: 1.34M minor faults and 5.5% of `genekg model
/// predict`'s cycles went to mimalloc handing out fresh pages, 91k faults with purging off. Off,
/// freed memory stays with the process for reuse, as it does in glibc's heap above. A delay the
/// caller set in `MIMALLOC_PURGE_DELAY` is kept.
fn keep_freed_pages() {
    extern "C" {
        /// mimalloc's `mi_option_set` (linked through the `mimalloc` crate).
        fn mi_option_set(option: std::ffi::c_int, value: std::ffi::c_long);
    }
    /// `mi_option_purge_delay` in mimalloc 3's `mi_option_t` (mimalloc.h); -1 never purges.
    const PURGE_DELAY: std::ffi::c_int = 15;
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_some() {
        return;
    }
    // SAFETY: options are plain integers; called before any thread starts, as mimalloc asks.
    unsafe { mi_option_set(PURGE_DELAY, -1) }
}

fn main() -> std::process::ExitCode {
    keep_freed_pages();
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    keep_large_blocks_in_heap();
    genekg::cli::main()
}
