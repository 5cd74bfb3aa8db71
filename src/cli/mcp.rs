//! `genekg mcp`: the Model Context Protocol over stdio (see `crate::mcp`).

use clap::Args;

use super::Context;

#[derive(Args)]
pub struct McpArgs {}

pub fn run(ctx: &Context, _args: McpArgs) -> anyhow::Result<()> {
    let state = super::load_app_state(ctx)?;
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    rt.block_on(crate::mcp::serve_stdio(state))
}
