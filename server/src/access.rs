//! Who may do what: staff sessions and sign-in, accounts and roles, phones (enrolment codes,
//! device tokens, revocation, keys and their recovery), the audit log, the throttling of
//! guesses and the secrets the server keeps only as hashes. Each area's domain and SQL
//! (`accounts`, `devices`, `recovery`, `audit`, `sessions`) stand apart from its HTTP handlers
//! (`…_api`).

pub mod accounts;
pub mod accounts_api;
pub mod audit;
pub mod audit_api;
pub mod device_keys;
pub mod devices;
pub mod devices_api;
pub mod recovery;
pub mod recovery_api;
pub mod secret;
pub mod sessions;
pub mod sessions_api;
pub mod throttle;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;

/// Sign-in, accounts, enrolment, devices and the audit log.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(
            sessions_api::current,
            sessions_api::sign_in,
            sessions_api::sign_out
        ))
        .routes(routes!(accounts_api::api_list, accounts_api::api_add))
        .routes(routes!(accounts_api::api_role))
        .routes(routes!(accounts_api::api_disable))
        .routes(routes!(accounts_api::api_enable))
        .routes(routes!(accounts_api::api_reset_code))
        .routes(routes!(accounts_api::api_reset_password))
        .routes(routes!(accounts_api::api_disable_member))
        .routes(routes!(accounts_api::api_enable_member))
        .routes(routes!(devices_api::enrol))
        .routes(routes!(devices_api::issue_code))
        .routes(routes!(devices_api::issue_cell_codes))
        .routes(routes!(devices_api::issue_code_from_phone))
        .routes(routes!(recovery_api::phone_keys))
        .routes(routes!(recovery_api::ask))
        .routes(routes!(recovery_api::phone_pending))
        .routes(routes!(recovery_api::phone_approve))
        .routes(routes!(recovery_api::staff_pending))
        .routes(routes!(recovery_api::staff_approve))
        .routes(routes!(devices_api::list))
        .routes(routes!(devices_api::revoke))
        .routes(routes!(audit_api::api_list))
        .routes(routes!(audit_api::api_actions))
}
