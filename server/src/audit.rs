//! The audit log: who read household data, exported, enrolled or revoked a phone, or changed an
//! account, and when. Written in the same transaction as what it records where there is one.

use sqlx::AnyConnection;

/// Who did something: a staff account, a member's phone, or the command line on the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    User(String),
    Device(String),
    Cli,
}

impl std::fmt::Display for Actor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Actor::User(login) => write!(f, "user:{login}"),
            Actor::Device(id) => write!(f, "device:{id}"),
            Actor::Cli => f.write_str("cli"),
        }
    }
}

/// Appends one entry.
pub async fn record(
    conn: &mut AnyConnection,
    at: i64,
    actor: &Actor,
    action: &str,
    target: &str,
    detail: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO audit_log (at, actor, action, target, detail) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(at)
    .bind(actor.to_string())
    .bind(action)
    .bind(target)
    .bind(detail)
    .execute(conn)
    .await?;
    Ok(())
}
