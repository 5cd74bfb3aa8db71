//! `genekg mcp`: the Model Context Protocol over stdio (see `crate::mcp`).

use clap::Args;

use super::Context;
use crate::llm::LlmArgs;

#[derive(Args)]
pub struct McpArgs {
    /// The LLM that rewrites explanations (the `explain` tool) and picks the intent of questions
    /// the rules cannot place (the `ask` tool); none by default.
    #[command(flatten)]
    llm: LlmArgs,
}

pub fn run(ctx: &Context, args: McpArgs) -> anyhow::Result<()> {
    let llm = args.llm.build()?;
    let state = super::load_app_state_with_llm(ctx, llm)?;
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    rt.block_on(crate::mcp::serve_stdio(state))
}
