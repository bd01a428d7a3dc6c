//! Starting a real district from nothing: its top unit and its first administrator, on an
//! empty database.

use hosync_core::OrgUnit;
use hosync_core::access::AccessRole;
use hosync_core::messages::Message;

use crate::Db;
use crate::access::accounts::{self, AccountError, By, NewUser, User};
use crate::access::audit::{self, AuditAction};
use crate::org::changes::{self, OrgError};

/// Creates the top unit and its first administrator. Refuses a database that holds an
/// organisation already, so that it never runs twice over a district's data.
pub async fn init(db: &Db, top: &OrgUnit, admin: &NewUser, now: i64) -> Result<User, OrgError> {
    if top.parent.is_some() {
        return Err(OrgError::Invalid(Message::TopHasNoParent));
    }
    if admin.role != AccessRole::Admin || admin.scope != top.id {
        return Err(OrgError::Invalid(Message::FirstAccountAdmin));
    }
    // Everything the account needs is checked before anything is written.
    accounts::check_name(&admin.name).map_err(account_error)?;
    accounts::check_password(&admin.password).map_err(account_error)?;
    if admin.login.is_reserved() {
        return Err(OrgError::Invalid(Message::LoginReserved {
            login: admin.login.to_string(),
        }));
    }
    let mut tx = db.begin_log_write().await?;
    let units: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM units")
        .fetch_one(&mut *tx)
        .await?;
    if units > 0 {
        return Err(OrgError::Exists(Message::OrganisationExists { units }));
    }
    changes::add_unit(&mut tx, By::Cli, top, now).await?;
    audit::record(
        &mut tx,
        now,
        &By::Cli.actor(),
        AuditAction::Init,
        top.id.as_str(),
        &format!("{} ({})", top.name, top.level_label),
        Some(&top.id),
    )
    .await?;
    tx.commit().await?;
    accounts::add_user(db, By::Cli, admin, now)
        .await
        .map_err(account_error)
}

fn account_error(e: AccountError) -> OrgError {
    match e {
        AccountError::Db(e) => OrgError::Db(e),
        AccountError::Internal(e) => OrgError::Internal(e),
        AccountError::Invalid(m) => OrgError::Invalid(m),
        AccountError::Exists(m) => OrgError::Exists(m),
        AccountError::NotFound(what) => OrgError::NotFound(what),
        AccountError::Denied(d) => OrgError::Denied(d),
        AccountError::Id(e) => OrgError::Id(e),
    }
}
