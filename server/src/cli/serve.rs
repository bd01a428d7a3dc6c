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
    /// The built field app to serve at `/`. By default it is looked for beside the binary:
    /// `web/` next to it, `../share/hosync/web/` (an installed layout), or `../web/app/` (where
    /// `cargo xtask app` writes it, beside `target/debug` and `target/release`).
    #[arg(long, env = "HOSYNC_APP_DIR")]
    pub app_dir: Option<PathBuf>,
    /// Serve `/metrics` on this address of its own, to whoever reaches it (bind it to an
    /// address only the monitoring can reach, such as 127.0.0.1:9464).
    #[arg(long, env = "HOSYNC_METRICS_BIND")]
    pub metrics_bind: Option<SocketAddr>,
    /// Serve `/metrics` on the main address too, to requests bearing this token
    /// (`Authorization: Bearer TOKEN`). Prefer the environment to the command line, which
    /// other users of the machine can read.
    #[arg(long, env = "HOSYNC_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,
}

/// Serves `db`, opened from `url`.
pub async fn serve(db: Db, url: &str, args: &ServeArgs) -> anyhow::Result<()> {
    anyhow::ensure!(
        args.lock_after_days >= 1,
        "--lock-after-days must be at least 1"
    );
    anyhow::ensure!(
        args.session_hours >= 1,
        "--session-hours must be at least 1"
    );
    let bind = args.bind;
    let _held = crate::storage::backup::hold_served(url)?;
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
        app_dir: Some(
            args.app_dir
                .clone()
                .unwrap_or_else(crate::web_app::beside_the_binary),
        ),
        metrics_token: args.metrics_token.clone().filter(|t| !t.is_empty()),
        ..crate::Settings::default()
    });
    if let Some(token) = &state.settings.metrics_token {
        anyhow::ensure!(
            token.len() >= 16,
            "--metrics-token must be at least 16 characters, so that it cannot be guessed"
        );
    }
    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .with_context(|| format!("listening on {bind}"))?;
    tracing::info!("hosync listening on http://{}", listener.local_addr()?);
    println!(
        "Listening on http://{}  (Ctrl-C stops)",
        listener.local_addr()?
    );
    let metrics_server = match args.metrics_bind {
        Some(address) => {
            let metrics_listener = tokio::net::TcpListener::bind(address)
                .await
                .with_context(|| format!("listening for metrics on {address}"))?;
            tracing::info!(
                "metrics at http://{}{}",
                metrics_listener.local_addr()?,
                crate::metrics::PATH
            );
            let router = crate::metrics::own_address_router(state.clone());
            Some(tokio::spawn(async move {
                axum::serve(metrics_listener, router).await
            }))
        }
        None => None,
    };
    crate::run(listener, state, crate::shutdown_signal()).await?;
    if let Some(metrics_server) = metrics_server {
        metrics_server.abort();
    }
    db.close().await;
    Ok(())
}
