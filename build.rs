// Everything linked (the binary, tests, benches) carries an rpath to libtorch so it runs without
// LD_LIBRARY_PATH; LIBTORCH is set by scripts/setup.sh (through .deps/env.sh).
fn main() {
    println!("cargo:rerun-if-env-changed=LIBTORCH");
    if let Ok(lt) = std::env::var("LIBTORCH") {
        println!("cargo:rustc-link-arg=-Wl,-rpath,{lt}/lib");
    }
}
