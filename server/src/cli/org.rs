//! `hosync init`: a real district's first step, on an empty database.

use std::io::Write;

use clap::Args;
use hosync_core::access::AccessRole;
use hosync_core::{OrgUnit, UnitKind};

use crate::Db;
use crate::access::accounts::{Login, NewUser};

#[derive(Debug, Args)]
pub struct InitArgs {
    /// The top unit's code: lower-case letters, digits, '-' and '_' (such as hsp).
    #[arg(long)]
    pub code: String,
    /// Its name, as staff read it (such as "Huyện ủy Hoàng Su Phì").
    #[arg(long)]
    pub name: String,
    /// What its level is called here (such as "huyện").
    #[arg(long, default_value = "huyện")]
    pub level_label: String,
    /// district or province.
    #[arg(long, default_value = "district")]
    pub kind: String,
    /// The first administrator's login. Their password comes from HOSYNC_PASSWORD if set, else
    /// from one line on standard input.
    #[arg(long)]
    pub admin: String,
    /// The administrator's full name.
    #[arg(long)]
    pub admin_name: String,
}

/// Creates the top unit and the first administrator on an empty database, and says how to go
/// on from there.
pub async fn init(
    url: &str,
    args: InitArgs,
    password: impl FnOnce() -> anyhow::Result<String>,
    out: &mut (dyn Write + Send),
) -> anyhow::Result<()> {
    let kind = UnitKind::parse(&args.kind)?;
    let top = OrgUnit::new(&args.code, None, kind, &args.level_label, &args.name)?;
    let admin = NewUser {
        login: Login::parse(&args.admin)?,
        name: args.admin_name,
        password: password()?,
        role: AccessRole::Admin,
        scope: top.id.clone(),
    };
    // Starting a district makes its database: a SQLite file named without a mode is created.
    let url = if url.starts_with("sqlite:") && !url.contains("mode=") {
        let joiner = if url.contains('?') { '&' } else { '?' };
        format!("{url}{joiner}mode=rwc")
    } else {
        url.to_owned()
    };
    let db = Db::open(&url).await?;
    let result = crate::org::init::init(&db, &top, &admin, crate::system_now()).await;
    db.close().await;
    let user = result?;
    writeln!(
        out,
        "Created {} ({}) and its administrator {} ({}).\n\
         Next:\n  \
         1. hosync serve --database-url {url}   (the dashboard is at http://127.0.0.1:8080/staff/)\n  \
         2. sign in as {} and bring in the units, members and households through the API\n     \
            (POST /api/v1/org/units, /org/members, /org/households; the README shows how),\n  \
         3. hosync enrol MEMBER --database-url {url}   prints a phone's enrolment code.",
        top.name, top.id, user.login, user.name, user.login
    )?;
    Ok(())
}
