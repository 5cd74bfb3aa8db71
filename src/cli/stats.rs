use clap::Args;

use super::Context;

#[derive(Args)]
pub struct StatsArgs {
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

pub fn run(ctx: &Context, args: StatsArgs) -> anyhow::Result<()> {
    let store = ctx.open_store()?;
    let stats = crate::stats::collect(&store)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&stats)?);
    } else {
        println!("{stats}");
    }
    Ok(())
}
