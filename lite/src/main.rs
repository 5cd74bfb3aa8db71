//! `genekg-lite`: the `genekg` command line without the model.
//!
//! Why a second binary: every process that links libtorch runs its static initialisers
//! (operator registration) before `main`, about 0.2 s of CPU, which is most of the time of a
//! one-shot `genekg enrich --gmt`. Built from the same library with the `model` feature off,
//! this binary keeps `ingest`, `stats`, `export` and `enrich` (over-representation) and starts
//! in milliseconds; `enrich` from the store reads its enrichment index file (no sled, see
//! `genekg::enrich::compact`). Build it with `cargo build --release -p genekg-lite` on its own: built
//! together with `genekg`, cargo would unify the features and link libtorch into it too.

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    genekg::cli::main()
}
