//! `hosync`: see `hosync --help`.

use clap::Parser;

// Automerge allocates many small objects per document; mimalloc keeps the server's memory flat
// where the system allocator's per-thread arenas grew with every blocking thread.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = hosync_server::cli::Cli::parse();
    hosync_server::request_log::init(cli.log_format);
    hosync_server::cli::run(cli).await
}
