//! The field-edited Automerge documents (household, cell, monthly report), their typed views,
//! validation and the merge rules of the design:
//! - one note's text is an Automerge Text, so concurrent edits merge character by character;
//! - notes and flags live in maps under random ids, so two phones adding one both keep theirs;
//! - a field set differently on two phones keeps both values (Automerge's conflicts), which
//!   [`Doc::conflicts`] lists for a secretary and [`Doc::settle`] resolves;
//! - deleting a note sets a mark, so an offline edit to a deleted note is never lost.

pub mod apply;
pub mod cell;
pub mod history;
pub mod household;
pub mod report;

use automerge::transaction::{CommitOptions, Transactable, Transaction};
use automerge::{ActorId, Automerge, ChangeHash, ObjId, ObjType, ReadDoc, ScalarValue, Value};

use crate::ids::{DocId, DocKind};
use crate::{Timestamp, date::DateError, domain::UnknownCode, ids::IdError};

/// Every replica builds a new document's skeleton with this actor, the same ops and time 0, so
/// the first change is byte-identical wherever it is made: two phones that each start the same
/// monthly report offline share its Text objects and their edits merge instead of one report
/// hiding the other.
const GENESIS_ACTOR: &[u8; 16] = b"hosync-genesis\0\0";

/// The longest text a note, flag or report field may hold, in characters.
pub const MAX_TEXT_CHARS: usize = 20_000;
/// The longest short field (a name, a village, a place), in characters.
pub const MAX_SHORT_CHARS: usize = 200;

/// What was wrong with a document or an edit.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct ValidationError {
    /// Where in the document, such as `notes.3f2a….date`.
    pub path: String,
    pub message: String,
}

impl ValidationError {
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        ValidationError {
            path: path.into(),
            message: message.into(),
        }
    }
}

/// Errors from reading or editing a document.
#[derive(Debug, thiserror::Error)]
pub enum DocError {
    #[error("the document is not valid: {0}")]
    Invalid(#[from] ValidationError),
    #[error("{0}")]
    Id(#[from] IdError),
    #[error("{0}")]
    Date(#[from] DateError),
    #[error("{0}")]
    Code(#[from] UnknownCode),
    #[error("document {doc} is a {actual} document, not a {expected} one")]
    WrongKind {
        doc: String,
        expected: &'static str,
        actual: &'static str,
    },
    #[error("{what} {id} is not in document {doc}")]
    NotFound {
        doc: String,
        what: &'static str,
        id: String,
    },
    #[error("{0} is required")]
    Required(&'static str),
    #[error("the document's bytes are damaged: {0}")]
    Corrupt(String),
    #[error("automerge: {0}")]
    Automerge(#[from] automerge::AutomergeError),
}

/// One value of a field that two phones set differently.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConflictValue {
    /// The value as text (what a secretary is shown).
    pub value: String,
    /// The Automerge actor that wrote it, which names the phone.
    pub actor: String,
}

/// A field with more than one current value: the winner first (what views show), then the others.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    /// Path of map keys from the root, such as `["profile", "head"]`.
    pub path: Vec<String>,
    pub values: Vec<ConflictValue>,
}

/// A field that a change set to name somebody: a note's author, who raised a flag or moved it
/// on, who rated a report, who made an assignment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    /// Where, such as `notes.3f2a….author`.
    pub field: String,
    /// The member id it names.
    pub named: String,
    /// The actor whose change wrote it.
    pub actor: ActorId,
}

/// A document read whole, by kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum View {
    Household(household::Household),
    Cell(cell::Cell),
    Report(report::MonthlyReport),
}

/// An Automerge document with its hosync id.
#[derive(Debug, Clone)]
pub struct Doc {
    /// Which document this is, which decides its kind and its rules.
    id: DocId,
    /// The Automerge document itself.
    am: Automerge,
}

impl Doc {
    /// A new document of the kind its id names, with the shared skeleton, editing as `actor`.
    pub fn create(id: DocId, actor: ActorId) -> Doc {
        let mut am = Automerge::new().with_actor(ActorId::from(&GENESIS_ACTOR[..]));
        let skeleton = |tx: &mut Transaction<'_>| -> Result<(), automerge::AutomergeError> {
            tx.put(automerge::ROOT, "kind", id.kind().as_str())?;
            tx.put(automerge::ROOT, "id", id.to_string())?;
            match &id {
                DocId::Household(_) => household::skeleton(tx),
                DocId::Cell(_) => cell::skeleton(tx),
                DocId::Report(..) => report::skeleton(tx),
            }
        };
        // The skeleton writes fixed keys into an empty document, which cannot fail; if it ever
        // did, the document would be empty and fail validation rather than panic here.
        let _ = am.transact_with(|_| CommitOptions::default().with_time(0), skeleton);
        am.set_actor(actor);
        Doc { id, am }
    }

    /// An empty document that will be filled by changes from elsewhere (the first sync of a
    /// document this replica has never seen).
    pub fn empty(id: DocId, actor: ActorId) -> Doc {
        Doc {
            id,
            am: Automerge::new().with_actor(actor),
        }
    }

    /// A document from an Automerge document already built (a fork at some heads).
    pub fn from_automerge(id: DocId, am: Automerge) -> Doc {
        Doc { id, am }
    }

    /// Loads saved bytes (a snapshot, or a snapshot followed by changes).
    pub fn load(id: DocId, bytes: &[u8], actor: ActorId) -> Result<Doc, DocError> {
        let am = Automerge::load(bytes).map_err(|e| DocError::Corrupt(e.to_string()))?;
        Ok(Doc {
            id,
            am: am.with_actor(actor),
        })
    }

    pub fn id(&self) -> &DocId {
        &self.id
    }

    pub fn kind(&self) -> DocKind {
        self.id.kind()
    }

    pub fn automerge(&self) -> &Automerge {
        &self.am
    }

    pub fn automerge_mut(&mut self) -> &mut Automerge {
        &mut self.am
    }

    pub fn heads(&self) -> Vec<ChangeHash> {
        self.am.get_heads()
    }

    /// Whether this replica holds the change with this hash.
    pub fn has_change(&self, hash: &ChangeHash) -> bool {
        self.am.get_change_meta_by_hash(hash).is_some()
    }

    /// The whole document, compacted and compressed.
    pub fn save(&self) -> Vec<u8> {
        self.am.save()
    }

    /// This document as it would be had `own`'s changes since `sent` (the heads the server
    /// holds) been made by `actor` instead: those changes, and any made on top of them, are
    /// left out, and one new change by `actor` brings the document back to what it reads now.
    /// A phone whose actor another phone also wrote under (its data was copied) recovers this
    /// way: what it typed keeps its effect, under an actor that is its own.
    pub fn remake_under(
        &self,
        sent: &[ChangeHash],
        own: &ActorId,
        actor: ActorId,
    ) -> Result<Doc, DocError> {
        let mut left_out = std::collections::HashSet::new();
        let mut made_at = 0;
        for change in self.am.get_changes(sent) {
            if change.actor_id() == own || change.deps().iter().any(|d| left_out.contains(d)) {
                left_out.insert(change.hash());
                made_at = made_at.max(change.timestamp());
            }
        }
        if left_out.is_empty() {
            let mut same = self.clone();
            same.am.set_actor(actor);
            return Ok(same);
        }
        let kept: Vec<automerge::Change> = self
            .am
            .get_changes(&[])
            .into_iter()
            .filter(|c| !left_out.contains(&c.hash()))
            .collect();
        let mut am = Automerge::new().with_actor(actor);
        am.apply_changes(kept)?;
        let mut remade = Doc {
            id: self.id.clone(),
            am,
        };
        // Stamped with the time the left-out edits were made, which is what decides whether
        // they came before a household left the member.
        remade.edit(made_at, |tx| {
            copy_object(&self.am, &automerge::ROOT, tx, &automerge::ROOT)?;
            Ok(())
        })?;
        Ok(remade)
    }

    /// Merges another replica's copy of the same document (a bundle handed over by file or QR).
    pub fn merge(&mut self, other: &mut Doc) -> Result<(), DocError> {
        if other.id != self.id {
            return Err(DocError::Corrupt(format!(
                "cannot merge document {} into {}",
                other.id, self.id
            )));
        }
        self.am.merge(&mut other.am)?;
        Ok(())
    }

    /// Checks the whole document against the rules of its kind.
    pub fn validate(&self) -> Result<(), ValidationError> {
        self.view().map(drop)
    }

    /// Reads the whole document as its typed view, checking it against the rules of its kind
    /// on the way: a document that reads is a valid one.
    pub fn view(&self) -> Result<View, ValidationError> {
        let kind = read_str(&self.am, &automerge::ROOT, "kind");
        if kind.as_deref() != Some(self.kind().as_str()) {
            return Err(ValidationError::new(
                "kind",
                format!(
                    "expected {:?}, found {:?}",
                    self.kind().as_str(),
                    kind.unwrap_or_default()
                ),
            ));
        }
        let id = read_str(&self.am, &automerge::ROOT, "id");
        if id.as_deref() != Some(self.id.to_string().as_str()) {
            return Err(ValidationError::new(
                "id",
                format!(
                    "expected {:?}, found {:?}",
                    self.id.to_string(),
                    id.unwrap_or_default()
                ),
            ));
        }
        Ok(match self.kind() {
            DocKind::Household => View::Household(household::validate(self)?),
            DocKind::Cell => View::Cell(cell::validate(self)?),
            DocKind::Report => View::Report(report::validate(self)?),
        })
    }

    /// Fields that two phones set differently, each with every value still held.
    pub fn conflicts(&self) -> Vec<Conflict> {
        let patterns: &[&[&str]] = match self.kind() {
            DocKind::Household => household::CONFLICT_FIELDS,
            DocKind::Cell => cell::CONFLICT_FIELDS,
            DocKind::Report => report::CONFLICT_FIELDS,
        };
        let mut found = Vec::new();
        for pattern in patterns {
            collect_conflicts(
                &self.am,
                &automerge::ROOT,
                pattern,
                &mut Vec::new(),
                &mut found,
            );
        }
        found
    }

    /// What `changes` (already applied to this document) say about who did what: every
    /// non-empty value of a field that names somebody, written by an op of one of them.
    pub fn claims(&self, changes: &[automerge::Change]) -> Vec<Claim> {
        let mut ops: std::collections::HashMap<&ActorId, Vec<(u64, u64)>> =
            std::collections::HashMap::new();
        for change in changes {
            ops.entry(change.actor_id())
                .or_default()
                .push((change.start_op().get(), change.max_op()));
        }
        let patterns: &[&[&str]] = match self.kind() {
            DocKind::Household => household::CLAIM_FIELDS,
            DocKind::Cell => cell::CLAIM_FIELDS,
            DocKind::Report => report::CLAIM_FIELDS,
        };
        let mut found = Vec::new();
        for pattern in patterns {
            walk(
                &self.am,
                &automerge::ROOT,
                pattern,
                &mut Vec::new(),
                &mut |path, values| {
                    for (value, id) in values {
                        let automerge::ObjId::Id(counter, actor, _) = id else {
                            continue;
                        };
                        let written_here = ops.get(actor).is_some_and(|spans| {
                            spans
                                .iter()
                                .any(|(first, last)| (*first..=*last).contains(counter))
                        });
                        let named = scalar_text(value);
                        if written_here && !named.is_empty() {
                            found.push(Claim {
                                field: path.join("."),
                                named,
                                actor: actor.clone(),
                            });
                        }
                    }
                },
            );
        }
        found
    }

    /// Settles a conflict by writing the chosen value over all of them. The losing values stay
    /// in the document's history.
    pub fn settle(&mut self, path: &[String], value: &str, now: Timestamp) -> Result<(), DocError> {
        let Some((last, parents)) = path.split_last() else {
            return Err(ValidationError::new("", "an empty path names no field").into());
        };
        let conflict = self.conflicts().into_iter().find(|c| c.path == path);
        let Some(conflict) = conflict else {
            return Err(DocError::NotFound {
                doc: self.id.to_string(),
                what: "conflict at",
                id: path.join("."),
            });
        };
        if !conflict.values.iter().any(|v| v.value == value) {
            return Err(ValidationError::new(
                path.join("."),
                format!("{value:?} is not one of the values in conflict"),
            )
            .into());
        }
        let mut obj = automerge::ROOT;
        for key in parents {
            obj = match self.am.get(&obj, key.as_str())? {
                Some((Value::Object(_), id)) => id,
                _ => {
                    return Err(DocError::NotFound {
                        doc: self.id.to_string(),
                        what: "field",
                        id: path.join("."),
                    });
                }
            };
        }
        // The conflicting values of this field are typed alike; keep the type of the winner.
        let scalar = match self.am.get(&obj, last.as_str())? {
            Some((Value::Scalar(s), _)) => match s.as_ref() {
                ScalarValue::Int(_) => value
                    .parse::<i64>()
                    .map(ScalarValue::Int)
                    .map_err(|_| ValidationError::new(path.join("."), "expected a whole number"))?,
                ScalarValue::Boolean(_) => ScalarValue::Boolean(value == "true"),
                _ => ScalarValue::Str(value.into()),
            },
            _ => ScalarValue::Str(value.into()),
        };
        self.edit(now, |tx| {
            tx.put(&obj, last.as_str(), scalar)?;
            Ok(())
        })?;
        self.validate()?;
        Ok(())
    }

    /// Runs one edit as one Automerge change stamped with the caller's clock.
    pub(crate) fn edit<T>(
        &mut self,
        now: Timestamp,
        f: impl FnOnce(&mut Transaction<'_>) -> Result<T, DocError>,
    ) -> Result<T, DocError> {
        self.am
            .transact_with(|_| CommitOptions::default().with_time(now), f)
            .map(|ok| ok.result)
            .map_err(|failure| failure.error)
    }

    pub(crate) fn expect_kind(&self, expected: DocKind) -> Result<(), DocError> {
        if self.kind() == expected {
            Ok(())
        } else {
            Err(DocError::WrongKind {
                doc: self.id.to_string(),
                expected: expected.as_str(),
                actual: self.kind().as_str(),
            })
        }
    }
}

fn collect_conflicts(
    am: &Automerge,
    obj: &ObjId,
    pattern: &[&str],
    path: &mut Vec<String>,
    found: &mut Vec<Conflict>,
) {
    let Some((first, rest)) = pattern.split_first() else {
        return;
    };
    let keys: Vec<String> = if *first == "*" {
        am.keys(obj).collect()
    } else {
        vec![(*first).to_owned()]
    };
    for key in keys {
        path.push(key.clone());
        if rest.is_empty() {
            if let Ok(values) = am.get_all(obj, key.as_str())
                && values.len() > 1
            {
                // Automerge returns the values in op order; the winner (what `get` reads) is
                // the last, so show it first.
                let values = values
                    .iter()
                    .rev()
                    .map(|(value, id)| ConflictValue {
                        value: scalar_text(value),
                        actor: match id {
                            automerge::ObjId::Id(_, actor, _) => actor.to_hex_string(),
                            automerge::ObjId::Root => String::new(),
                        },
                    })
                    .collect();
                found.push(Conflict {
                    path: path.clone(),
                    values,
                });
            }
        } else if let Ok(Some((Value::Object(ObjType::Map), child))) = am.get(obj, key.as_str()) {
            collect_conflicts(am, &child, rest, path, found);
        }
        path.pop();
    }
}

/// Makes `to` in the document `tx` edits read as `from` reads in `source`, writing only what
/// differs: scalars put, texts spliced, maps and lists made equal entry by entry.
fn copy_object(
    source: &Automerge,
    from: &ObjId,
    tx: &mut Transaction<'_>,
    to: &ObjId,
) -> Result<(), automerge::AutomergeError> {
    match source.object_type(from)? {
        ObjType::Text => tx.update_text(to, source.text(from)?),
        ObjType::Map | ObjType::Table => {
            let keys: Vec<String> = source.keys(from).collect();
            for key in &keys {
                copy_prop(source, from, key.as_str().into(), tx, to)?;
            }
            let stale: Vec<String> = tx.keys(to).filter(|k| !keys.contains(k)).collect();
            for key in stale {
                tx.delete(to, key.as_str())?;
            }
            Ok(())
        }
        ObjType::List => {
            let (want, have) = (source.length(from), tx.length(to));
            for index in have..want {
                insert_copy(source, from, index, tx, to)?;
            }
            for index in (want..have).rev() {
                tx.delete(to, index)?;
            }
            for index in 0..want.min(have) {
                copy_prop(source, from, index.into(), tx, to)?;
            }
            Ok(())
        }
    }
}

/// One entry of [`copy_object`]: equal scalars are left alone, objects of the same type are
/// made equal in place, anything else is written anew.
fn copy_prop(
    source: &Automerge,
    from: &ObjId,
    prop: automerge::Prop,
    tx: &mut Transaction<'_>,
    to: &ObjId,
) -> Result<(), automerge::AutomergeError> {
    let Some((value, from_child)) = source.get(from, prop.clone())? else {
        return Ok(());
    };
    let existing = tx.get(to, prop.clone())?;
    match (value, existing) {
        (Value::Scalar(a), Some((Value::Scalar(b), _))) if a == b => Ok(()),
        (Value::Scalar(a), _) => tx.put(to, prop, a.into_owned()),
        (Value::Object(kind), Some((Value::Object(have), to_child))) if kind == have => {
            copy_object(source, &from_child, tx, &to_child)
        }
        (Value::Object(kind), _) => {
            let to_child = tx.put_object(to, prop, kind)?;
            copy_object(source, &from_child, tx, &to_child)
        }
    }
}

fn insert_copy(
    source: &Automerge,
    from: &ObjId,
    index: usize,
    tx: &mut Transaction<'_>,
    to: &ObjId,
) -> Result<(), automerge::AutomergeError> {
    match source.get(from, index)? {
        Some((Value::Scalar(a), _)) => tx.insert(to, index, a.into_owned()),
        Some((Value::Object(kind), from_child)) => {
            let to_child = tx.insert_object(to, index, kind)?;
            copy_object(source, &from_child, tx, &to_child)
        }
        None => Ok(()),
    }
}

/// Whether an actor is the one every replica builds a new document's skeleton with: it names
/// no phone, and writes nothing but the skeleton.
pub fn is_genesis(actor: &ActorId) -> bool {
    actor.to_bytes() == GENESIS_ACTOR
}

/// What [`walk`] calls with each field it reaches: its path and every value it holds.
type FieldValues<'a> = dyn FnMut(&[String], &[(Value<'_>, ObjId)]) + 'a;

/// Calls `found` with every value at the fields `pattern` names below `obj`: map keys, or `*`
/// for every key of a map or every element of a list.
fn walk(
    am: &Automerge,
    obj: &ObjId,
    pattern: &[&str],
    path: &mut Vec<String>,
    found: &mut FieldValues<'_>,
) {
    let Some((first, rest)) = pattern.split_first() else {
        return;
    };
    let props: Vec<automerge::Prop> = match (*first, am.object_type(obj)) {
        ("*", Ok(ObjType::List)) => (0..am.length(obj)).map(automerge::Prop::Seq).collect(),
        ("*", _) => am.keys(obj).map(automerge::Prop::Map).collect(),
        (key, _) => vec![automerge::Prop::Map(key.to_owned())],
    };
    for prop in props {
        path.push(prop.to_string());
        if rest.is_empty() {
            if let Ok(values) = am.get_all(obj, prop) {
                found(path, &values);
            }
        } else if let Ok(values) = am.get_all(obj, prop) {
            // Every value, not only the one that wins a conflict: a losing object still holds
            // what was written into it.
            for (value, child) in values {
                if let Value::Object(_) = value {
                    walk(am, &child, rest, path, found);
                }
            }
        }
        path.pop();
    }
}

/// Every value held at the fields `pattern` names, conflicting ones included, each as text (a
/// Text object's content, a list's elements), sorted: two documents read alike here exactly
/// when nothing at those fields differs, whichever value wins a conflict. An empty value counts
/// as none, so the skeleton a new document starts with (empty fields) changes nothing.
pub(crate) fn every_value(doc: &Doc, pattern: &[&str]) -> Vec<String> {
    let am = &doc.am;
    let mut found = Vec::new();
    walk(
        am,
        &automerge::ROOT,
        pattern,
        &mut Vec::new(),
        &mut |_, values| {
            for (value, id) in values {
                let text = value_text(am, value, id);
                if !text.is_empty() {
                    found.push(text);
                }
            }
        },
    );
    found.sort();
    found
}

fn value_text(am: &Automerge, value: &Value<'_>, id: &ObjId) -> String {
    match value {
        Value::Object(ObjType::Text) => am.text(id).unwrap_or_default(),
        Value::Object(ObjType::List) => {
            let mut items = Vec::new();
            for index in 0..am.length(id) {
                for (item, item_id) in am.get_all(id, index).unwrap_or_default() {
                    items.push(value_text(am, &item, &item_id));
                }
            }
            items.join("\u{1f}")
        }
        other => scalar_text(other),
    }
}

fn scalar_text(value: &Value<'_>) -> String {
    match value {
        Value::Scalar(s) => match s.as_ref() {
            ScalarValue::Str(s) => s.to_string(),
            ScalarValue::Int(i) => i.to_string(),
            ScalarValue::Uint(u) => u.to_string(),
            ScalarValue::Boolean(b) => b.to_string(),
            other => other.to_string(),
        },
        Value::Object(t) => format!("({t})"),
    }
}

/// Reads a string field, whether stored as a scalar or as Text.
pub(crate) fn read_str(am: &Automerge, obj: &ObjId, key: &str) -> Option<String> {
    match am.get(obj, key).ok()?? {
        (Value::Scalar(s), _) => s.as_str().map(str::to_owned),
        (Value::Object(ObjType::Text), id) => am.text(&id).ok(),
        _ => None,
    }
}

/// The map or text object under `key`, creating nothing.
pub(crate) fn child(am: &Automerge, obj: &ObjId, key: &str) -> Option<ObjId> {
    match am.get(obj, key).ok()?? {
        (Value::Object(_), id) => Some(id),
        _ => None,
    }
}

pub(crate) fn check_short(path: &str, value: &str) -> Result<(), ValidationError> {
    if value.chars().count() > MAX_SHORT_CHARS {
        return Err(ValidationError::new(
            path,
            format!("is longer than {MAX_SHORT_CHARS} characters"),
        ));
    }
    Ok(())
}

pub(crate) fn check_text(path: &str, value: &str) -> Result<(), ValidationError> {
    if value.chars().count() > MAX_TEXT_CHARS {
        return Err(ValidationError::new(
            path,
            format!("is longer than {MAX_TEXT_CHARS} characters"),
        ));
    }
    Ok(())
}

/// Creates a Text object holding `value` under `key`.
pub(crate) fn put_text(
    tx: &mut Transaction<'_>,
    obj: &ObjId,
    key: &str,
    value: &str,
) -> Result<ObjId, automerge::AutomergeError> {
    let text = tx.put_object(obj, key, ObjType::Text)?;
    if !value.is_empty() {
        tx.splice_text(&text, 0, 0, value)?;
    }
    Ok(text)
}

/// Replaces the content of a Text object with the fewest splices, so that a concurrent edit on
/// another phone merges character by character instead of being overwritten.
pub(crate) fn update_text(
    tx: &mut Transaction<'_>,
    text: &ObjId,
    value: &str,
) -> Result<(), DocError> {
    tx.update_text(text, value)?;
    Ok(())
}

/// The actor a phone writes with, from its persisted bytes.
pub fn actor_from_bytes(bytes: &[u8]) -> ActorId {
    ActorId::from(bytes)
}

/// A fresh actor for a new replica.
pub fn random_actor() -> ActorId {
    ActorId::random()
}
