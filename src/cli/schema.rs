use std::path::PathBuf;

use clap::Args;

#[derive(Args)]
pub struct SchemaArgs {
    /// Write the SDL here (e.g. schema/schema.graphql) instead of stdout.
    #[arg(long)]
    out: Option<PathBuf>,
}

/// Prints the GraphQL schema generated from the code; needs no store.
pub fn run(args: SchemaArgs) -> anyhow::Result<()> {
    let sdl = crate::graphql::sdl();
    match args.out {
        Some(path) => std::fs::write(&path, sdl).map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?,
        None => print!("{sdl}"),
    }
    Ok(())
}
