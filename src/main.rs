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

/// libtorch's OpenMP threads (GNU libgomp) spin while they wait, for the next parallel region
/// and at every barrier, unless `OMP_WAIT_POLICY=PASSIVE`. On two shared cores a spinning thread
/// takes the core from the one it waits for: our own threads (`model predict` lists and writes
/// one chunk while libtorch runs the next, the server's workers) or other processes. Perf put 42%
/// of `genekg model predict`'s cycles in libgomp; passive waiting cut its CPU time from 271 s to
/// 146 s with the same output. libgomp reads the variable when it is loaded, before `main`, so
/// the process sets it and runs itself again. A policy the caller set is kept.
#[cfg(unix)]
fn wait_passively_in_openmp() {
    use std::os::unix::process::CommandExt;
    const VAR: &str = "OMP_WAIT_POLICY";
    if std::env::var_os(VAR).is_some() {
        return;
    }
    let Ok(exe) = std::env::current_exe() else { return };
    let mut args = std::env::args_os();
    let arg0 = args.next().unwrap_or_else(|| exe.clone().into_os_string());
    // exec only returns on failure; the process then goes on with spinning threads.
    let err = std::process::Command::new(&exe).arg0(arg0).args(args).env(VAR, "PASSIVE").exec();
    eprintln!("note: could not restart with {VAR}=PASSIVE ({err}); continuing");
}

fn main() -> std::process::ExitCode {
    #[cfg(unix)]
    wait_passively_in_openmp();
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    keep_large_blocks_in_heap();
    genekg::cli::main()
}
