//! `hosync`: see `hosync --help`.

use clap::Parser;

// Automerge allocates many small objects per document; mimalloc keeps the server's memory flat
// where the system allocator's per-thread arenas grew with every blocking thread.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "hosync=info,warn".into()),
        )
        .init();
    hosync_server::cli::run(hosync_server::cli::Cli::parse()).await
}
