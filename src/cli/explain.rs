use std::sync::Arc;

use clap::Args;

use super::Context;
use crate::graphql::AppState;
use crate::llm::LlmArgs;

#[derive(Args)]
pub struct ExplainArgs {
    /// The gene: symbol, alias, Entrez, Ensembl or UniProt id.
    gene: String,
    /// Explain why the gene is predicted for this set instead (`LIBRARY:term`, e.g.
    /// GO_BP:GO:0006914).
    #[arg(long)]
    set: Option<String>,
    /// Print the whole explanation (text, evidence, citations, guard) as JSON.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    llm: LlmArgs,
}

pub fn run(ctx: &Context, args: ExplainArgs) -> anyhow::Result<()> {
    let store = ctx.open_store()?;
    let llm = args.llm.build()?;
    let state = Arc::new(AppState::load(store)?.with_model(&ctx.paths.model_dir(), &ctx.paths.index_dir())?.with_llm(llm)?);
    let entrez = crate::graphql::gene::resolve_gene(&state, &args.gene).map_err(|e| anyhow::anyhow!("{e}"))?;
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let answer = rt.block_on(async {
        match &args.set {
            None => crate::explain::gene(&state, entrez, None).await,
            Some(set) => crate::explain::prediction(&state, entrez, set, None).await,
        }
    })?;
    state.store.flush()?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&answer)?);
    } else {
        println!("{}", answer.text);
        if let Some(note) = &answer.note {
            eprintln!("note: {note}");
        }
        if !answer.citations.is_empty() {
            println!();
            for c in &answer.citations {
                println!("[{}] {}{}", c.id, c.label.as_deref().unwrap_or(""), c.url.as_deref().map(|u| format!(" <{u}>")).unwrap_or_default());
            }
        }
    }
    Ok(())
}
