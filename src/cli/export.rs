use std::io::{BufWriter, Write};
use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Subcommand, ValueEnum};

use super::Context;

#[derive(Subcommand)]
pub enum ExportCommand {
    /// A library as GMT: `term<TAB>name<TAB>gene...` per set (for other tools, e.g. gseapy).
    /// Stops quietly when the reader goes away (`| head`).
    Gmt {
        #[arg(long)]
        library: String,
        /// How genes are written.
        #[arg(long, value_enum, default_value_t = GeneIds::Symbol)]
        ids: GeneIds,
        /// Output file (default: stdout).
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(Clone, Copy, ValueEnum)]
pub enum GeneIds {
    Symbol,
    Entrez,
}

pub fn run(ctx: &Context, cmd: ExportCommand) -> anyhow::Result<()> {
    let ExportCommand::Gmt { library, ids, out } = cmd;
    let store = ctx.open_store()?;
    if store.library(&library)?.is_none() {
        let names: Vec<String> = store.libraries()?.into_iter().map(|l| l.name).collect();
        anyhow::bail!("unknown library `{library}`; available: {}", names.join(", "));
    }
    let symbols: std::collections::HashMap<u32, String> = match ids {
        GeneIds::Entrez => Default::default(),
        GeneIds::Symbol => store.genes().map(|g| g.map(|g| (g.entrez, g.symbol))).collect::<Result<_, _>>()?,
    };
    let sink: Box<dyn Write> = match &out {
        Some(path) => Box::new(std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?),
        None => Box::new(std::io::stdout().lock()),
    };
    let mut w = BufWriter::new(sink);
    let sets = store.library_sets(&library)?;
    for set in &sets {
        // Tabs and newlines would break the format; names from our sources have none, but a
        // user's GMT may.
        let clean = |s: &str| s.replace(['\t', '\n', '\r'], " ");
        // Column 2 is the description column of the GMT format: the set's name, or for sets
        // read from a GMT file (named by their term) that file's description, so a file
        // exported after `ingest gmt` reads as it was written.
        let description = match &set.description {
            Some(d) if set.name == set.term => d.as_str(),
            _ => set.name.as_str(),
        };
        write!(w, "{}\t{}", clean(&set.term), clean(description))?;
        for g in &set.genes {
            match ids {
                GeneIds::Entrez => write!(w, "\t{g}")?,
                GeneIds::Symbol => write!(w, "\t{}", symbols.get(g).map(String::as_str).unwrap_or("?"))?,
            }
        }
        writeln!(w)?;
    }
    w.flush()?;
    tracing::info!(library, sets = sets.len(), "exported");
    Ok(())
}
