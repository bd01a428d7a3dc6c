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

use axum::Router;
use axum::routing::{get, post};

use crate::AppState;

/// Sign-in, accounts, enrolment, devices and the audit log.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/session",
            get(sessions_api::current)
                .post(sessions_api::sign_in)
                .delete(sessions_api::sign_out),
        )
        .route(
            "/users",
            get(accounts_api::api_list).post(accounts_api::api_add),
        )
        .route("/users/{login}/role", post(accounts_api::api_role))
        .route("/users/{login}/disable", post(accounts_api::api_disable))
        .route("/users/{login}/enable", post(accounts_api::api_enable))
        .route(
            "/users/{login}/reset-code",
            post(accounts_api::api_reset_code),
        )
        .route("/password-reset", post(accounts_api::api_reset_password))
        .route(
            "/members/{id}/disable",
            post(accounts_api::api_disable_member),
        )
        .route(
            "/members/{id}/enable",
            post(accounts_api::api_enable_member),
        )
        .route("/enrol", post(devices_api::enrol))
        .route("/enrolments", post(devices_api::issue_code))
        .route("/enrolments/cell", post(devices_api::issue_cell_codes))
        .route(
            "/phone/enrolments",
            post(devices_api::issue_code_from_phone),
        )
        .route("/phone/keys", post(recovery_api::phone_keys))
        .route("/recovery", post(recovery_api::ask))
        .route("/phone/recoveries", get(recovery_api::phone_pending))
        .route(
            "/phone/recoveries/{device}/approve",
            post(recovery_api::phone_approve),
        )
        .route("/recoveries", get(recovery_api::staff_pending))
        .route(
            "/recoveries/{device}/approve",
            post(recovery_api::staff_approve),
        )
        .route("/devices", get(devices_api::list))
        .route("/devices/{id}/revoke", post(devices_api::revoke))
        .route("/audit", get(audit_api::api_list))
        .route("/audit/actions", get(audit_api::api_actions))
}
