//! `hosync chaos`: the crash run against a seeded database (see `tools::chaos`).

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;

#[derive(Debug, Args)]
pub struct ChaosArgs {
    /// The `hosync` binary to run the server with; this one by default.
    #[arg(long)]
    pub server_bin: Option<PathBuf>,
    /// How many times to kill the server (SIGKILL).
    #[arg(long, default_value_t = 8)]
    pub kills: usize,
    /// About how long the killing goes on, in seconds.
    #[arg(long, default_value_t = 30.0)]
    pub seconds: f64,
    /// Seed for the kill moments and the phones' choices; the same seed plays the same run.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// How many phones write and sync, all at once.
    #[arg(long, default_value_t = 20)]
    pub phones: usize,
    /// The port the server listens on, the same after every restart; a free one by default.
    #[arg(long)]
    pub port: Option<u16>,
    /// Where the server's output goes; a file in the temporary folder by default.
    #[arg(long)]
    pub server_log: Option<PathBuf>,
    /// Also write the figures as JSON to this file.
    #[arg(long)]
    pub json: Option<PathBuf>,
}

/// Plays the crash run on `database_url`, which must hold a seeded district, and fails if an
/// acknowledged note was lost or doubled or a phone could not sync at the end.
pub async fn chaos(database_url: String, args: ChaosArgs) -> anyhow::Result<()> {
    anyhow::ensure!(args.phones >= 1, "--phones must be at least 1");
    anyhow::ensure!(
        args.seconds > 0.0 && args.seconds <= 86_400.0,
        "--seconds must be above 0 and at most a day"
    );
    let server_bin = match args.server_bin {
        Some(bin) => bin,
        None => std::env::current_exe().context("finding the hosync binary")?,
    };
    let port = match args.port {
        Some(port) => port,
        None => std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .context("finding a free port")?
            .port(),
    };
    let server_log = args.server_log.unwrap_or_else(|| {
        std::env::temp_dir().join(format!("hosync-chaos-{}.log", std::process::id()))
    });
    let plan = crate::tools::chaos::ChaosPlan {
        server_bin,
        database_url,
        bind: std::net::SocketAddr::from(([127, 0, 0, 1], port)),
        server_log,
        phones: args.phones,
        kills: args.kills,
        seconds: args.seconds,
        seed: args.seed,
    };
    let report = crate::tools::chaos::run(&plan).await?;
    report.print();
    if let Some(path) = &args.json {
        std::fs::write(path, serde_json::to_vec_pretty(&report)?)
            .with_context(|| format!("writing {}", path.display()))?;
    }
    let failures = report.failures();
    anyhow::ensure!(failures.is_empty(), "{}", failures.join("; "));
    Ok(())
}
