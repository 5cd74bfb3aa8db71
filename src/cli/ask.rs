//! `genekg ask "..."`: the GraphQL `ask` answer on the command line.

use clap::Args;

use super::Context;

#[derive(Args)]
pub struct AskArgs {
    /// The question, e.g. "What does TP53 do?"
    question: String,
    /// Print the whole answer as JSON (intent, entities, rows, the GraphQL query).
    #[arg(long)]
    json: bool,
    /// An LLM to pick the intent of a question the rules cannot place (genes, terms and facts
    /// still come from the data); none by default.
    #[command(flatten)]
    llm: crate::llm::LlmArgs,
}

pub fn run(ctx: &Context, args: AskArgs) -> anyhow::Result<()> {
    let state = super::load_app_state_with_llm(ctx, args.llm.build()?)?;
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let answer = rt.block_on(crate::nl::ask(&state, &args.question))?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&answer)?);
        return Ok(());
    }
    println!("{}", answer.answer);
    for e in &answer.examples {
        println!("  e.g. {e}");
    }
    if let Some(q) = &answer.graphql {
        println!("\nGraphQL: {q}");
    }
    Ok(())
}
