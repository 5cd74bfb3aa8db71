use clap::{Args, Subcommand};

use super::Context;
use crate::domain::SetId;
use crate::index::{build_indexes, AnnParams, Neighbourhood};

#[derive(Subcommand)]
pub enum IndexCommand {
    /// Build the genes and sets indexes from the current model's embeddings.
    Build(BuildArgs),
    /// Genes whose embeddings are nearest to a gene's.
    SimilarGenes {
        gene: String,
        #[arg(short, long, default_value_t = 10)]
        k: usize,
        #[arg(long)]
        ef: Option<usize>,
    },
    /// Stored sets nearest to a set (`--set LIBRARY:term`) or to a gene list (`--genes A,B,C`).
    SimilarSets {
        #[arg(long, conflicts_with = "genes")]
        set: Option<String>,
        #[arg(long, value_delimiter = ',')]
        genes: Vec<String>,
        #[arg(long)]
        library: Option<String>,
        #[arg(short, long, default_value_t = 10)]
        k: usize,
        #[arg(long)]
        ef: Option<usize>,
    },
}

#[derive(Args)]
pub struct BuildArgs {
    /// Links per node (HNSW's M).
    #[arg(long, default_value_t = AnnParams::default().max_connections)]
    m: usize,
    #[arg(long, default_value_t = AnnParams::default().ef_construction)]
    ef_construction: usize,
    /// Default query-time candidate list.
    #[arg(long, default_value_t = AnnParams::default().ef_search)]
    ef: usize,
    /// Skip when both indexes exist and match the current model and store data.
    #[arg(long)]
    if_stale: bool,
}

pub fn run(ctx: &Context, cmd: IndexCommand) -> anyhow::Result<()> {
    let store = ctx.open_store()?;
    let model = super::load_model(ctx)?;
    let dir = ctx.paths.index_dir();
    match cmd {
        IndexCommand::Build(a) => {
            if a.if_stale && crate::index::is_current(&dir, &model.fingerprint(), &store.data_versions()?)? {
                tracing::info!(dir = %dir.display(), "indexes match the model and the data; skipping build");
                return Ok(());
            }
            let params = AnnParams { max_connections: a.m, ef_construction: a.ef_construction, ef_search: a.ef };
            let report = build_indexes(&store, &model, &dir, params)?;
            println!("{}", serde_json::to_string_pretty(&report)?);
        }
        IndexCommand::SimilarGenes { gene, k, ef } => {
            let hood = Neighbourhood::load(&store, &model, &dir)?;
            let query = match store.resolve(&crate::domain::GeneQuery::parse(&gene).map_err(anyhow::Error::msg)?)? {
                crate::store::Resolution::Found(e) => e,
                _ => 0,
            };
            println!("entrez\tsymbol\tcosine\tconfidence\tsets");
            for n in hood.similar_genes(&store, &gene, k, ef)? {
                let entrez = n.key.0;
                let symbol = store.gene(entrez).ok().flatten().map(|g| g.symbol).unwrap_or_default();
                let confidence = hood.evidence.confidence(crate::domain::Entrez(query), n.key, n.cosine);
                println!("{}\t{}\t{:.4}\t{:.4}\t{}", n.key, symbol, n.cosine, confidence, hood.evidence.sets(n.key));
            }
        }
        IndexCommand::SimilarSets { set, genes, library, k, ef } => {
            let hood = Neighbourhood::load(&store, &model, &dir)?;
            let found = match set {
                Some(id) => {
                    let id = SetId::parse(&id).map_err(anyhow::Error::msg)?;
                    hood.similar_sets_for_set(&store, &model, &id, k, library.as_deref(), ef)?
                }
                None => {
                    let list = super::model::resolve_gene_args(&store, &genes)?;
                    let (ids, oov) = model.split_vocabulary(&list.genes);
                    super::model::note_out_of_vocabulary(&store, &oov);
                    hood.similar_sets_for_genes(&model, &ids, k, library.as_deref(), ef)?
                }
            };
            for n in found {
                let name = store.gene_set(&n.key).ok().flatten().map(|s| s.name).unwrap_or_default();
                println!("{}\t{}\t{:.4}", n.key, name, n.cosine);
            }
        }
    }
    Ok(())
}
