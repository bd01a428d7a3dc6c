//! Crossing the boundary: Rust views to JavaScript objects, JavaScript option objects to core's
//! edit types, and the browser's clock. Inputs are parsed here into core's types, so a bad
//! code or an unknown field fails with a message before any document is touched.

use hosync_core::docs::household::ProfileUpdate;
use hosync_core::docs::report::ReportDraft;
use hosync_core::{Rating, Timestamp};
use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;

/// A view as a plain object: maps as objects and a missing value as `null` (not `undefined`),
/// so what JavaScript gets also survives `JSON.stringify` and `structuredClone` unchanged.
pub(crate) fn to_js<T: Serialize>(value: &T) -> Result<JsValue, JsError> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| JsError::new(&e.to_string()))
}

/// An options object as `T`. serde-wasm-bindgen reads only the fields it knows, so a misspelt
/// one would be dropped without a word; `fields` lists the known ones to refuse the rest.
fn from_js<T: for<'de> Deserialize<'de>>(
    what: &str,
    fields: &[&str],
    value: JsValue,
) -> Result<T, JsError> {
    if let Some(object) = value.dyn_ref::<js_sys::Object>() {
        for key in js_sys::Object::keys(object).iter() {
            let key = key.as_string().unwrap_or_default();
            if !fields.contains(&key.as_str()) {
                return Err(JsError::new(&format!(
                    "{what}: unknown field {key:?}, expected one of: {}",
                    fields.join(", ")
                )));
            }
        }
    }
    serde_wasm_bindgen::from_value(value).map_err(|e| JsError::new(&format!("{what}: {e}")))
}

/// Now, in Unix seconds. Core stamps each change with it and never merges by it, so a phone
/// with a wrong clock loses nothing.
pub(crate) fn now() -> Timestamp {
    (js_sys::Date::now() / 1000.0).floor() as Timestamp
}

/// A position or length in a text, as JavaScript passes it; the sum of the two is checked here
/// because wasm32's `usize` is 32 bits and a negative number arrives as a huge one.
pub(crate) fn span(pos: u32, len: u32) -> Result<(usize, usize), JsError> {
    if pos.checked_add(len).is_none() {
        return Err(JsError::new(&format!(
            "position {pos} and length {len} are out of range"
        )));
    }
    Ok((pos as usize, len as usize))
}

/// `updateProfile`'s argument.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ProfileInput {
    head: Option<String>,
    village: Option<String>,
    people: Option<u32>,
    livelihood: Option<String>,
}

pub(crate) fn profile_update(value: JsValue) -> Result<ProfileUpdate, JsError> {
    const FIELDS: &[&str] = &["head", "village", "people", "livelihood"];
    let input: ProfileInput = from_js("profile update", FIELDS, value)?;
    Ok(ProfileUpdate {
        head: input.head,
        village: input.village,
        people: input.people,
        livelihood: input.livelihood,
    })
}

/// `writeReport`'s argument.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DraftInput {
    tasks: Option<String>,
    household_content: Option<String>,
    self_rating: Option<String>,
}

pub(crate) fn report_draft(value: JsValue) -> Result<ReportDraft, JsError> {
    const FIELDS: &[&str] = &["tasks", "householdContent", "selfRating"];
    let input: DraftInput = from_js("report", FIELDS, value)?;
    Ok(ReportDraft {
        tasks: input.tasks,
        household_content: input.household_content,
        self_rating: input
            .self_rating
            .as_deref()
            .map(Rating::parse)
            .transpose()?,
    })
}
