//! The administrator's commands on the server: `enrol`, `device`, `user` and `audit`.

use std::io::{BufRead, IsTerminal, Write};

use anyhow::Context;
use clap::{Args, Subcommand};
use hosync_core::access::AccessRole;
use hosync_core::{Day, DeviceId, MemberId, UnitId};

use crate::Db;
use crate::access::accounts::{
    AccountError, By, Login, MIN_PASSWORD_CHARS, NewUser, add_user, disable_member, disable_user,
    enable_member, enable_user, find_user, issue_reset_code, list_users, set_role,
};
use crate::access::audit::{self, AuditFilter, AuditQuery, DEFAULT_LIMIT, list};
use crate::storage;

#[derive(Debug, Args)]
pub struct EnrolArgs {
    /// The member id (or staff login) whose phone is enrolled.
    pub holder: String,
}

#[derive(Debug, Args)]
pub struct DeviceArgs {
    #[command(subcommand)]
    pub action: DeviceAction,
}

#[derive(Debug, Subcommand)]
pub enum DeviceAction {
    /// Every enrolled phone, with its holder, last sync and whether it is revoked or locked.
    List {
        /// Only phones of holders within this unit.
        #[arg(long)]
        unit: Option<String>,
    },
    /// Revoke a phone (lost or stolen): its next contact erases its data.
    Revoke { device: String },
}

pub async fn enrol(url: &str, args: EnrolArgs) -> anyhow::Result<()> {
    let db = Db::open(url).await?;
    let mut tx = db.begin_write().await?;
    let holder = crate::access::devices::find_holder(&mut tx, &args.holder)
        .await?
        .with_context(|| format!("there is no member or staff account {}", args.holder))?;
    let ttl = crate::Settings::default().enrolment_ttl;
    let now = crate::system_now();
    let code = crate::access::devices::issue_code(
        &mut tx,
        &holder,
        &crate::access::audit::Actor::Cli,
        now,
        ttl,
    )
    .await?;
    tx.commit().await?;
    let qr = crate::access::devices::enrolment_qr(&code)?;
    println!(
        "{}",
        qr.render::<qrcode::render::unicode::Dense1x2>()
            .quiet_zone(true)
            .build()
    );
    println!(
        "Enrolment code for {holder}: {code}\nType it (or scan the QR code) on the phone within {} hours; it works once.",
        ttl / 3600
    );
    db.close().await;
    Ok(())
}

pub async fn device(url: &str, args: DeviceArgs) -> anyhow::Result<()> {
    let db = Db::open(url).await?;
    match args.action {
        DeviceAction::List { unit } => {
            let mut conn = db.reader.acquire().await?;
            let path = match unit {
                Some(unit) => Some(
                    storage::unit_path(&mut conn, &UnitId::parse(&unit)?)
                        .await?
                        .with_context(|| format!("there is no unit {unit}"))?,
                ),
                None => None,
            };
            let settings = crate::Settings::default();
            let rows = crate::access::devices::list(
                &mut conn,
                path.as_ref(),
                crate::system_now(),
                settings.lock_after,
            )
            .await?;
            let when =
                |t: Option<i64>| t.map_or("never".to_owned(), |t| Day::from_timestamp(t).vi());
            for d in &rows {
                let state = if d.revoked_at.is_some() {
                    format!("revoked {}", when(d.revoked_at))
                } else if d.locked {
                    "locked (away too long)".to_owned()
                } else {
                    "active".to_owned()
                };
                println!(
                    "{}  {} ({})  {}  «{}»  last sync {}  app {}  {}",
                    d.id,
                    d.name,
                    d.holder,
                    d.unit,
                    d.label,
                    when(d.last_sync_at),
                    d.app_version.as_deref().unwrap_or("?"),
                    state
                );
            }
            println!("{} devices", rows.len());
        }
        DeviceAction::Revoke { device } => {
            let device = DeviceId::parse(&device)?;
            let mut tx = db.begin_write().await?;
            let revoked = crate::access::devices::revoke(
                &mut tx,
                &device,
                &crate::access::audit::Actor::Cli,
                crate::system_now(),
            )
            .await?;
            tx.commit().await?;
            anyhow::ensure!(revoked, "there is no active device {device}");
            println!("Revoked {device}: its next sync erases the data on it.");
        }
    }
    db.close().await;
    Ok(())
}

// The command line.

/// `hosync user`: staff accounts, from the server's command line.
#[derive(Debug, Args)]
pub struct UserArgs {
    #[command(subcommand)]
    pub action: UserAction,
}

#[derive(Debug, Subcommand)]
pub enum UserAction {
    /// Add a staff account. The password comes from HOSYNC_PASSWORD if set, else from one line
    /// on standard input; never from an argument, which other users of the machine can see.
    Add {
        /// Lower-case letters, digits, '.', '-' and '_'.
        login: String,
        /// The person's full name.
        #[arg(long)]
        name: String,
        /// member, cell_secretary, commune_committee, district_staff or admin.
        #[arg(long)]
        role: String,
        /// The unit whose subtree the account works in, such as hsp or hsp-x01.
        #[arg(long)]
        scope: String,
    },
    /// Change an account's role (and its scope, with --scope).
    Role {
        login: String,
        /// member, cell_secretary, commune_committee, district_staff or admin.
        role: String,
        /// The new scope unit; the account keeps its scope when not given.
        #[arg(long)]
        scope: Option<String>,
    },
    /// Disable an account, ending its sessions; or, when no account has that login, a member,
    /// whose phones then wipe the member's data at their next sync.
    Disable {
        /// A login, or a member id.
        login_or_member: String,
    },
    /// Enable a disabled account again; or, when no account has that login, a member.
    Enable {
        /// A login, or a member id.
        login_or_member: String,
    },
    /// Print a one-time code with which the account's holder sets a new password at
    /// /staff/#/password (good once, for 24 hours).
    ResetPassword { login: String },
    /// List the accounts.
    List,
}

/// The password for `hosync user add`: `HOSYNC_PASSWORD`, or one line read from standard input.
pub fn password_from_env_or_stdin() -> anyhow::Result<String> {
    if let Ok(password) = std::env::var("HOSYNC_PASSWORD") {
        return Ok(password);
    }
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprint!(
            "Password for the new account (at least {MIN_PASSWORD_CHARS} characters; it shows as you type): "
        );
    }
    let mut line = String::new();
    stdin.lock().read_line(&mut line)?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

/// Runs `hosync user` on the database at `url`, writing what it did to `out`; `password` is
/// asked only by `add`.
pub async fn user(
    url: &str,
    args: UserArgs,
    password: impl FnOnce() -> anyhow::Result<String>,
    out: &mut (dyn Write + Send),
) -> anyhow::Result<()> {
    let db = Db::open(url).await?;
    let result = run_user(&db, args.action, password, out).await;
    db.close().await;
    result
}

async fn run_user(
    db: &Db,
    action: UserAction,
    password: impl FnOnce() -> anyhow::Result<String>,
    out: &mut (dyn Write + Send),
) -> anyhow::Result<()> {
    let now = crate::system_now();
    match action {
        UserAction::Add {
            login,
            name,
            role,
            scope,
        } => {
            let mut new = NewUser {
                login: Login::parse(&login)?,
                name,
                password: String::new(),
                role: AccessRole::parse(&role)?,
                scope: UnitId::parse(&scope)?,
            };
            new.password = password()?;
            let user = add_user(db, By::Cli, &new, now).await?;
            writeln!(
                out,
                "Added {} ({}): {} over {}.",
                user.login,
                user.name,
                user.role.label_vi(),
                user.scope
            )?;
        }
        UserAction::Role { login, role, scope } => {
            let scope = scope.as_deref().map(UnitId::parse).transpose()?;
            let user = set_role(
                db,
                By::Cli,
                &login,
                AccessRole::parse(&role)?,
                scope.as_ref(),
                now,
            )
            .await?;
            writeln!(
                out,
                "{} is now {} over {}.",
                user.login,
                user.role.label_vi(),
                user.scope
            )?;
        }
        UserAction::Disable { login_or_member } => {
            let mut conn = db.reader.acquire().await?;
            let is_user = find_user(&mut conn, &login_or_member).await?.is_some();
            drop(conn);
            if is_user {
                let (user, was_enabled) = disable_user(db, By::Cli, &login_or_member, now).await?;
                if was_enabled {
                    writeln!(out, "Disabled account {}; its sessions ended.", user.login)?;
                } else {
                    writeln!(out, "Account {} was already disabled.", user.login)?;
                }
            } else {
                let member = MemberId::parse(&login_or_member).map_err(|_| {
                    anyhow::anyhow!("there is no account or member {login_or_member:?}")
                })?;
                match disable_member(db, By::Cli, &member, now).await {
                    Ok((m, true)) => writeln!(
                        out,
                        "Disabled member {} ({}) of {}; their phones wipe the member's data at their next sync.",
                        m.id, m.name, m.cell
                    )?,
                    Ok((m, false)) => writeln!(out, "Member {} was already disabled.", m.id)?,
                    Err(AccountError::NotFound(_)) => {
                        anyhow::bail!("there is no account or member {login_or_member:?}")
                    }
                    Err(e) => return Err(e.into()),
                }
            }
        }
        UserAction::Enable { login_or_member } => {
            let mut conn = db.reader.acquire().await?;
            let is_user = find_user(&mut conn, &login_or_member).await?.is_some();
            drop(conn);
            if is_user {
                let (user, was_disabled) = enable_user(db, By::Cli, &login_or_member, now).await?;
                if was_disabled {
                    writeln!(out, "Enabled account {}.", user.login)?;
                } else {
                    writeln!(out, "Account {} was not disabled.", user.login)?;
                }
            } else {
                let member = MemberId::parse(&login_or_member).map_err(|_| {
                    anyhow::anyhow!("there is no account or member {login_or_member:?}")
                })?;
                match enable_member(db, By::Cli, &member, now).await {
                    Ok(true) => writeln!(
                        out,
                        "Enabled member {member}; a phone enrolled for them with a new code syncs again."
                    )?,
                    Ok(false) => writeln!(out, "Member {member} was not disabled.")?,
                    Err(AccountError::NotFound(_)) => {
                        anyhow::bail!("there is no account or member {login_or_member:?}")
                    }
                    Err(e) => return Err(e.into()),
                }
            }
        }
        UserAction::ResetPassword { login } => {
            let (code, expires_at) = issue_reset_code(db, By::Cli, &login, now).await?;
            writeln!(
                out,
                "Password reset code for {login}: {code}\nThey open /staff/#/password, type their login, this code and a new password before {}; it works once.",
                audit::vi_time(expires_at)
            )?;
        }
        UserAction::List => {
            let users = list_users(db, By::Cli).await?;
            if users.is_empty() {
                writeln!(out, "No accounts yet; add one with `hosync user add`.")?;
            }
            for u in users {
                let disabled = u
                    .disabled_at
                    .map(|at| format!("  [disabled {}]", audit::vi_time(at)))
                    .unwrap_or_default();
                writeln!(
                    out,
                    "{:<20} {:<18} {:<14} {}{disabled}",
                    u.login,
                    u.role.code(),
                    u.scope.as_str(),
                    u.name
                )?;
            }
        }
    }
    Ok(())
}

/// `hosync audit`: the audit log, one line per entry, newest last; times in Vietnam (UTC+7).
#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Only this actor: a staff login, user:LOGIN, device:ID or cli.
    #[arg(long)]
    pub actor: Option<String>,
    /// Only this action, such as read_household, user_add, role, user_disable, member_disable.
    #[arg(long)]
    pub action: Option<String>,
    /// Only targets containing this (a household, cell, login or member id), ignoring case.
    #[arg(long)]
    pub target_contains: Option<String>,
    /// From this day, yyyy-mm-dd.
    #[arg(long)]
    pub since: Option<String>,
    /// Up to and including this day, yyyy-mm-dd.
    #[arg(long)]
    pub until: Option<String>,
    /// Only entries about this unit or what lies under it (a cell, a commune).
    #[arg(long)]
    pub unit: Option<String>,
    /// At most this many entries, the newest.
    #[arg(long, default_value_t = DEFAULT_LIMIT)]
    pub limit: i64,
}

/// Runs `hosync audit` on the database at `url`, writing to `out`.
pub async fn audit(
    url: &str,
    args: AuditArgs,
    out: &mut (dyn std::io::Write + Send),
) -> anyhow::Result<()> {
    let filter = AuditFilter::parse(&AuditQuery {
        actor: args.actor,
        action: args.action,
        target_contains: args.target_contains,
        since: args.since,
        until: args.until,
        unit: args.unit,
        limit: Some(args.limit),
    })?;
    let db = crate::Db::open(url).await?;
    let mut conn = db.reader.acquire().await?;
    let entries = list(&mut conn, &filter, None).await?;
    drop(conn);
    db.close().await;
    for entry in &entries {
        writeln!(out, "{}", entry.line())?;
    }
    if entries.is_empty() {
        writeln!(out, "No audit entries match.")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_takes_no_password_argument() {
        use clap::Parser;
        let parse = |args: &[&str]| crate::cli::Cli::try_parse_from(args);
        let cli = parse(&[
            "hosync",
            "user",
            "add",
            "lan",
            "--name",
            "Lan",
            "--role",
            "admin",
            "--scope",
            "d",
            "--database-url",
            "sqlite://x.db",
        ])
        .expect("user add parses");
        assert!(matches!(
            cli.command,
            crate::cli::Command::User(UserArgs {
                action: UserAction::Add { .. },
            })
        ));
        assert!(cli.database_url.is_some());
        assert!(
            parse(&[
                "hosync",
                "user",
                "add",
                "lan",
                "--name",
                "Lan",
                "--role",
                "admin",
                "--scope",
                "d",
                "--password",
                "secret-secret",
            ])
            .is_err()
        );
        let cli = parse(&[
            "hosync",
            "audit",
            "--actor",
            "lan",
            "--since",
            "2026-11-01",
            "--limit",
            "5",
        ])
        .expect("audit parses");
        assert!(matches!(
            cli.command,
            crate::cli::Command::Audit(AuditArgs { limit: 5, .. })
        ));
    }
}
