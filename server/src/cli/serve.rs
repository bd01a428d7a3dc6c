//! `hosync serve`: the server on its address, with what an operator may tune.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use clap::Args;

use crate::{AppState, Db};

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "HOSYNC_BIND", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,
    /// Days a phone may go without reaching the server before it locks its data.
    #[arg(long, env = "HOSYNC_LOCK_AFTER_DAYS", default_value_t = 30)]
    pub lock_after_days: i64,
    /// Mark staff session cookies Secure (serve behind TLS).
    #[arg(long, env = "HOSYNC_SECURE_COOKIES")]
    pub secure_cookies: bool,
    /// A reverse proxy is in front: take a client's address (which sign-in and enrolment
    /// throttling count by) from the last hop of X-Forwarded-For, not from the connection.
    #[arg(long, env = "HOSYNC_TRUST_FORWARDED_FOR")]
    pub trust_forwarded_for: bool,
    /// Hours a staff session lasts after sign-in.
    #[arg(long, env = "HOSYNC_SESSION_HOURS", default_value_t = 12)]
    pub session_hours: i64,
    /// The built field app to serve at `/` (`cargo xtask app` writes it).
    #[arg(long, env = "HOSYNC_APP_DIR", default_value = crate::web_app::DEFAULT_DIR)]
    pub app_dir: PathBuf,
}

pub async fn serve(db: Db, args: &ServeArgs) -> anyhow::Result<()> {
    anyhow::ensure!(
        args.lock_after_days >= 1,
        "--lock-after-days must be at least 1"
    );
    anyhow::ensure!(
        args.session_hours >= 1,
        "--session-hours must be at least 1"
    );
    let bind = args.bind;
    if let Err(why) = db.readiness().await {
        anyhow::bail!("cannot serve this database: {why}");
    }
    crate::storage::projection::bring_up_to_date(&db)
        .await
        .context("bringing the projections up to date")?;
    let mut state = AppState::new(db.clone()).await?;
    state.settings = std::sync::Arc::new(crate::Settings {
        lock_after: args.lock_after_days * crate::DAY,
        secure_cookies: args.secure_cookies,
        trust_forwarded_for: args.trust_forwarded_for,
        session_ttl: args.session_hours * 60 * 60,
        app_dir: Some(args.app_dir.clone()),
        ..crate::Settings::default()
    });
    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .with_context(|| format!("listening on {bind}"))?;
    tracing::info!("hosync listening on http://{}", listener.local_addr()?);
    println!(
        "Listening on http://{}  (Ctrl-C stops)",
        listener.local_addr()?
    );
    crate::run(listener, state, crate::shutdown_signal()).await?;
    db.close().await;
    Ok(())
}
