//! The server's decisions, without storage: whether a push is stored, and the shape of the
//! answer. The server crate loads documents and the log and persists what this returns.

use std::collections::{BTreeMap, HashSet};

use automerge::{ActorId, Change, ChangeHash, ReadDoc};

use crate::Timestamp;
use crate::access::{AccessRole, Denied, DocPlace, Guarded, Principal};
use crate::docs::{Doc, View};
use crate::ids::{DocId, MemberId};
use crate::messages::{Lang, Message};
use crate::protocol::{Cursor, DocUpdate, PushOutcome, PushResult, SyncResponse};

/// What to do with one document's push.
#[derive(Debug)]
pub enum PushDecision {
    /// Store these changes (those the server did not hold yet, dependencies first). The
    /// document now includes them.
    Accepted {
        new_changes: Vec<Change>,
        /// The document as it now reads, checked; `None` when the push held nothing new.
        view: Option<Box<View>>,
    },
    /// Store nothing; tell the phone why.
    Rejected { reason: String },
    /// The server lacks changes the push depends on; ask for the whole history.
    NeedHistory,
    /// The push reuses sequence numbers the server holds for this actor from another phone.
    ActorReused { actor: ActorId },
}

impl PushDecision {
    pub fn outcome(&self, lang: Lang) -> PushOutcome {
        match self {
            PushDecision::Accepted { .. } => PushOutcome::Accepted,
            PushDecision::Rejected { reason } => PushOutcome::Rejected {
                reason: reason.clone(),
            },
            PushDecision::NeedHistory => PushOutcome::NeedHistory,
            PushDecision::ActorReused { actor } => actor_reused(actor, lang),
        }
    }
}

/// The answer to a phone whose actor another phone also wrote under, in the phone's language.
pub fn actor_reused(actor: &ActorId, lang: Lang) -> PushOutcome {
    PushOutcome::ActorReused {
        actor: actor.to_bytes().to_vec(),
        reason: Message::ActorReused.render(lang),
    }
}

/// Reads a push's change chunks; the error is the reason to refuse the push, naming the first
/// chunk that is not a valid change.
pub fn parse_changes(raw_changes: &[Vec<u8>]) -> Result<Vec<Change>, String> {
    raw_changes
        .iter()
        .enumerate()
        .map(|(i, bytes)| {
            crate::docs::apply::read_change(bytes).map_err(|e| {
                format!(
                    "change {} of {} is not a valid Automerge change: {e}",
                    i + 1,
                    raw_changes.len()
                )
            })
        })
        .collect()
}

/// Applies a phone's changes to the server's copy of a document and checks the result.
///
/// Unless the decision is `Accepted`, `doc` may now hold changes that must not be stored:
/// drop it and reload from storage.
pub fn apply_push(doc: &mut Doc, changes: &[Change]) -> PushDecision {
    if let Err(why) = crate::docs::apply::check_changes(doc.automerge(), changes) {
        return PushDecision::Rejected { reason: why };
    }
    apply_checked(doc, changes)
}

/// [`apply_push`] for changes [`check_changes`](crate::docs::apply::check_changes) has passed
/// against `doc`'s history (or part of it), so that a push is checked once.
fn apply_checked(doc: &mut Doc, changes: &[Change]) -> PushDecision {
    let changes: Vec<Change> = changes
        .iter()
        .filter(|c| !doc.has_change(&c.hash()))
        .cloned()
        .collect();
    if changes.is_empty() {
        return PushDecision::Accepted {
            new_changes: Vec::new(),
            view: None,
        };
    }
    let before = doc.heads();
    match doc.automerge_mut().apply_changes(changes) {
        Ok(()) => {}
        Err(automerge::AutomergeError::DuplicateSeqNumber(_, actor)) => {
            return PushDecision::ActorReused { actor };
        }
        Err(e) => {
            return PushDecision::Rejected {
                reason: format!("the changes do not apply: {e}"),
            };
        }
    }
    if !doc.automerge().get_missing_deps(&[]).is_empty() {
        return PushDecision::NeedHistory;
    }
    let view = match doc.view() {
        Ok(view) => view,
        Err(e) => {
            return PushDecision::Rejected {
                reason: format!("document {} would not be valid: {e}", doc.id()),
            };
        }
    };
    PushDecision::Accepted {
        new_changes: doc.automerge().get_changes(&before),
        view: Some(Box::new(view)),
    }
}

/// Whether a phone may push to a document at all, decided before anything of it is read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushAccess {
    /// The phone may write the document.
    Write,
    /// A household the server does not know, pushed by a cell's secretary: added to their
    /// cell (a family moved into the village), once the server has checked the scope is a cell.
    Create,
    /// A household that is not the phone's now (taken off its member, or moved to another
    /// cell): what was written while it was theirs stands, once the server says when it left
    /// them (`PushContext::left_at`, looked up as `left` says). The words say why the rest is
    /// refused.
    UntilLeft { why: String, left: Left },
    /// Refused whole, and kept nowhere: the phone never had the right to write it.
    Refused(String),
}

/// How a household left a phone, which says where the server looks up when it did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Left {
    /// Taken off the phone's member: the latest time the cell's assignments moved it off them
    /// (a reassignment, or the household or the member leaving the cell).
    Member,
    /// Moved out of the phone's scope: the latest move of the household from a cell inside it.
    Scope,
}

/// Whether `principal`'s phone may push to document `id`, which sits at `place` (`None`: the
/// server knows nothing of it). Refusals are worded in `lang`, the phone's language.
pub fn push_access(
    principal: &Principal,
    id: &DocId,
    place: Option<&DocPlace>,
    lang: Lang,
) -> PushAccess {
    let Some(place) = place else {
        return match (id, principal.role, &principal.member) {
            (DocId::Household(_), AccessRole::CellSecretary, Some(_)) => PushAccess::Create,
            _ => PushAccess::Refused(unseen(id, lang)),
        };
    };
    match principal.may_write(place) {
        Ok(()) => PushAccess::Write,
        // A household that left the scope may have been the phone's; if it never was, the
        // server finds no moment it left and refuses it as unseen, like any other.
        Err(Denied::OutOfScope) => match (id, &principal.member) {
            (DocId::Household(_), Some(_)) => PushAccess::UntilLeft {
                why: unseen(id, lang),
                left: if principal.role == AccessRole::Member {
                    Left::Member
                } else {
                    Left::Scope
                },
            },
            _ => PushAccess::Refused(unseen(id, lang)),
        },
        Err(Denied::NotAllowed(why)) => match (id, &principal.member) {
            (DocId::Household(_), Some(_)) => PushAccess::UntilLeft {
                why: why.render(lang),
                left: Left::Member,
            },
            _ => PushAccess::Refused(why.render(lang)),
        },
    }
}

/// Why a secretary's phone whose scope is not a cell may not add a household.
pub fn not_a_cell(id: &DocId, lang: Lang) -> String {
    Message::NotACellScope {
        household: id.to_string(),
    }
    .render(lang)
}

/// What the server knows, before a push is decided, of the phone that sent it and of the
/// document pushed: everything [`plan_push`] needs from storage.
#[derive(Clone, Copy)]
pub struct PushContext<'a> {
    /// The phone's holder: their role over their scope, and the member id they write under.
    pub principal: &'a Principal,
    /// What [`push_access`] said of the document.
    pub access: &'a PushAccess,
    /// For [`PushAccess::UntilLeft`]: when the household was last taken off the phone's member
    /// (server time), if it ever was.
    pub left_at: Option<Timestamp>,
    /// Who each actor of the push writes for, as far as the server knows (those it bound).
    pub author_of: &'a (dyn Fn(&ActorId) -> Option<MemberId> + Sync),
    /// The language the phone reads refusals in.
    pub lang: Lang,
}

impl std::fmt::Debug for PushContext<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PushContext")
            .field("principal", self.principal)
            .field("access", self.access)
            .field("left_at", &self.left_at)
            .finish_non_exhaustive()
    }
}

/// Changes refused, with why, and whether they are kept for the cell's secretary to review.
#[derive(Debug)]
pub struct Refused {
    pub reason: String,
    pub changes: Vec<Change>,
    /// What they would have done, in words; `None` when they are to be described against the
    /// stored document read afresh ([`describe_changes`]), since trying them consumed it.
    pub summary: Option<String>,
    /// Kept for review: the phone may write the document (its holder tried a change the rules
    /// refuse), or its holder wrote it while it was theirs. A push to a document the phone never
    /// had the right to write is refused and kept nowhere, so nobody can fill a review list.
    pub keep: bool,
}

/// The whole decision about one pushed document.
#[derive(Debug)]
pub enum PushPlan {
    /// Store `new_changes` (those the server did not hold); `doc` includes them and reads as
    /// `view`. `bind` are actors met for the first time, the phone's from now on. `late` are
    /// changes of the same push refused (made after the household left the member).
    Store {
        doc: Box<Doc>,
        view: Box<View>,
        new_changes: Vec<Change>,
        bind: Vec<ActorId>,
        late: Option<Refused>,
    },
    /// Nothing new: the server holds all of it, up to `heads`.
    Unchanged {
        heads: Vec<ChangeHash>,
        late: Option<Refused>,
    },
    Refused(Refused),
    /// The server lacks changes the push depends on: ask for the document's whole history.
    NeedHistory,
    /// The push reuses this actor's sequence numbers, or claims the phone's holder under an
    /// actor the server knows as another's: the phone must move to a new actor.
    ActorReused(ActorId),
}

/// Why a push names nothing the phone may write: the same words whether the document is
/// unknown or outside the phone's scope, so that an answer tells nothing of other units.
pub fn unseen(id: &DocId, lang: Lang) -> String {
    Message::UnseenDocument {
        doc: id.to_string(),
    }
    .render(lang)
}

/// Decides a phone's push to one document, as the server stores it: the document must be one
/// the phone may write ([`push_access`]; for a household taken off its member, what they wrote
/// before that moment stands and the rest is refused and kept); the merged document must
/// validate; what the push changed must be within the holder's role (a member changes no
/// household's details and no rating); and every claim of who did something must name the
/// holder of the phone whose actor made that change. `stored` is the server's copy (`None` for
/// a document it has not stored yet) and `actor` the server's own, for a new document.
pub fn plan_push(
    ctx: &PushContext<'_>,
    id: &DocId,
    stored: Option<Doc>,
    changes: Vec<Change>,
    actor: &ActorId,
) -> PushPlan {
    let refused_whole = |reason: &str, changes| {
        PushPlan::Refused(Refused {
            reason: reason.to_owned(),
            changes,
            summary: None,
            keep: false,
        })
    };
    // Nothing from the phone reaches Automerge before it is checked: describing a late push
    // applies it too.
    let empty;
    let checked_against = match &stored {
        Some(doc) => doc.automerge(),
        None => {
            empty = automerge::Automerge::new();
            &empty
        }
    };
    if let Err(why) = crate::docs::apply::check_changes(checked_against, &changes) {
        return refused_whole(&format!("document {id}: {why}"), changes);
    }
    let (changes, late) = match ctx.access {
        PushAccess::Write | PushAccess::Create => (changes, None),
        PushAccess::Refused(reason) => return refused_whole(reason, changes),
        PushAccess::UntilLeft { why, .. } => {
            let Some(cutoff) = ctx.left_at else {
                return refused_whole(why, changes);
            };
            let reason = Message::SinceLeft {
                why: why.clone(),
                day: crate::Day::from_timestamp(cutoff).vi(),
            }
            .render(ctx.lang);
            let (early, late) = split_at_time(changes, cutoff);
            let empty = || Doc::empty(id.clone(), actor.clone());
            let summary = describe_changes(stored.as_ref().unwrap_or(&empty()), &early, &late);
            let late = Refused {
                reason,
                changes: late,
                summary: Some(summary),
                keep: true,
            };
            if early.is_empty() {
                return PushPlan::Refused(late);
            }
            (early, (!late.changes.is_empty()).then_some(late))
        }
    };
    let mut doc = stored.unwrap_or_else(|| Doc::empty(id.clone(), actor.clone()));
    let before = Guarded::of(&doc);
    let before_heads = doc.heads();
    match apply_checked(&mut doc, &changes) {
        PushDecision::Accepted {
            new_changes,
            view: Some(view),
        } => match checks(ctx, id, &before, &doc, &new_changes) {
            Ok(bind) => PushPlan::Store {
                doc: Box::new(doc),
                view,
                new_changes,
                bind,
                late,
            },
            Err(Check::ActorTaken(actor)) => PushPlan::ActorReused(actor),
            Err(Check::Refused(_)) => one_by_one(ctx, id, &doc, &before_heads, new_changes, late),
        },
        PushDecision::Accepted { view: None, .. } => PushPlan::Unchanged {
            heads: doc.heads(),
            late,
        },
        PushDecision::Rejected { .. } => one_by_one(ctx, id, &doc, &before_heads, changes, late),
        PushDecision::NeedHistory => PushPlan::NeedHistory,
        PushDecision::ActorReused { actor } => PushPlan::ActorReused(actor),
    }
}

/// Why a merged push fails the rules.
enum Check {
    Refused(String),
    ActorTaken(ActorId),
}

/// The rules a merged push must keep, past its validity: what it changed is within the
/// holder's role, and every claim names the maker of its change. Returns the actors to bind.
fn checks(
    ctx: &PushContext<'_>,
    id: &DocId,
    before: &Guarded,
    doc: &Doc,
    new_changes: &[Change],
) -> Result<Vec<ActorId>, Check> {
    if let Err(denied) = ctx.principal.may_change(before, &Guarded::of(doc)) {
        let why = match denied {
            Denied::NotAllowed(why) => why,
            Denied::OutOfScope => Message::UnseenDocument {
                doc: id.to_string(),
            },
        };
        return Err(Check::Refused(
            Message::InDocument {
                doc: id.to_string(),
                why: Box::new(why),
            }
            .render(ctx.lang),
        ));
    }
    let claims = doc.claims(new_changes);
    match check_claims(
        &claims,
        new_changes,
        ctx.principal.member.as_ref(),
        ctx.author_of,
    ) {
        ClaimCheck::Sound { bind } => Ok(bind),
        ClaimCheck::Forged(reason) => Err(Check::Refused(format!("document {id}: {reason}"))),
        ClaimCheck::ActorTaken(actor) => Err(Check::ActorTaken(actor)),
    }
}

/// A push that fails the rules as a whole, decided change by change in the order sent
/// (dependencies first): each change that keeps them is stored, each that breaks them (and
/// every change made on top of it) is refused and kept for review. So a member's note stands
/// beside their refused change to the household's details, rather than falling with it.
/// `merged` is the document with the push applied (or as far as it applied), `before` its heads
/// before the push; changes the server held before are passed over.
fn one_by_one(
    ctx: &PushContext<'_>,
    id: &DocId,
    merged: &Doc,
    before: &[ChangeHash],
    changes: Vec<Change>,
    late: Option<Refused>,
) -> PushPlan {
    let Ok(base) = merged.automerge().fork_at(before) else {
        return PushPlan::Refused(Refused {
            reason: format!("document {id}: the changes do not apply"),
            changes,
            summary: None,
            keep: true,
        });
    };
    let mut current = Doc::from_automerge(id.clone(), base);
    let mut accepted = Vec::new();
    let mut refused = Vec::new();
    let mut refused_hashes = HashSet::new();
    let mut reasons: Vec<String> = Vec::new();
    let mut bind = Vec::new();
    for change in changes {
        if current.has_change(&change.hash()) {
            continue;
        }
        if change.deps().iter().any(|d| refused_hashes.contains(d)) {
            refused_hashes.insert(change.hash());
            refused.push(change);
            continue;
        }
        let mut trial = current.clone();
        let before_change = Guarded::of(&trial);
        let outcome = apply_checked(&mut trial, std::slice::from_ref(&change));
        let verdict = match outcome {
            PushDecision::Accepted { view: Some(_), .. } => checks(
                ctx,
                id,
                &before_change,
                &trial,
                std::slice::from_ref(&change),
            ),
            PushDecision::Accepted { view: None, .. } => Ok(Vec::new()),
            PushDecision::Rejected { reason } => Err(Check::Refused(reason)),
            // A dependency the server lacks is not sent later in the same push.
            PushDecision::NeedHistory => return PushPlan::NeedHistory,
            PushDecision::ActorReused { actor } => Err(Check::ActorTaken(actor)),
        };
        match verdict {
            Ok(more) => {
                bind.extend(more);
                current = trial;
                accepted.push(change);
            }
            Err(Check::ActorTaken(actor)) => return PushPlan::ActorReused(actor),
            Err(Check::Refused(reason)) => {
                if !reasons.contains(&reason) {
                    reasons.push(reason);
                }
                refused_hashes.insert(change.hash());
                refused.push(change);
            }
        }
    }
    bind.sort();
    bind.dedup();
    let summary = describe_changes(&current, &[], &refused);
    let mut refused = Refused {
        reason: reasons.join("; "),
        changes: refused,
        summary: Some(summary),
        keep: true,
    };
    if let Some(late) = late {
        refused.reason = format!("{}; {}", refused.reason, late.reason);
        refused.changes.extend(late.changes);
        refused.summary = match (refused.summary, late.summary) {
            (Some(a), Some(b)) => Some(format!("{a}; {b}")),
            (a, b) => a.or(b),
        };
    }
    // The skeleton every replica makes alike is nobody's work: with nothing else of the push
    // standing, the push is refused whole.
    if accepted
        .iter()
        .all(|c| crate::docs::is_genesis(c.actor_id()))
    {
        refused.changes.extend(accepted);
        return PushPlan::Refused(refused);
    }
    match current.view() {
        Ok(view) => PushPlan::Store {
            doc: Box::new(current),
            view: Box::new(view),
            new_changes: accepted,
            bind,
            late: Some(refused),
        },
        Err(e) => PushPlan::Refused(Refused {
            reason: format!("document {id} would not be valid: {e}"),
            ..refused
        }),
    }
}

/// What the claims of a push come to, held against who made each change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClaimCheck {
    /// Every claim names the maker of its change. `bind` are actors the server meets for the
    /// first time: they are the delivering phone's from now on.
    Sound { bind: Vec<ActorId> },
    /// A claim names somebody other than whoever made the change: refused, with the reason.
    Forged(String),
    /// The phone claims itself under an actor the server knows as another holder's (it was
    /// taken before this phone first synced): the phone must move to a new actor.
    ActorTaken(ActorId),
}

/// Holds what a push says about who did it (its [`crate::docs::Claim`]s) against who made each
/// change: the holder the server bound the change's actor to, or, for an actor it meets for
/// the first time, the holder of the phone delivering it (`deliverer`; `None` for one that
/// writes for nobody, which may claim nothing). A phone may deliver others' changes (a bundle
/// handed over at a cell meeting), but never write in another's name.
pub fn check_claims(
    claims: &[crate::docs::Claim],
    changes: &[Change],
    deliverer: Option<&MemberId>,
    owner_of: impl Fn(&ActorId) -> Option<MemberId>,
) -> ClaimCheck {
    for claim in claims {
        if crate::docs::is_genesis(&claim.actor) {
            return ClaimCheck::Forged(format!(
                "{} names {}, written under the skeleton's actor, which names nobody",
                claim.field, claim.named
            ));
        }
        let Some(maker) = owner_of(&claim.actor).or_else(|| deliverer.cloned()) else {
            return ClaimCheck::Forged(format!(
                "{} names {}, but this phone writes for nobody",
                claim.field, claim.named
            ));
        };
        if maker.as_str() == claim.named {
            continue;
        }
        if deliverer.is_some_and(|d| d.as_str() == claim.named) {
            return ClaimCheck::ActorTaken(claim.actor.clone());
        }
        return ClaimCheck::Forged(format!(
            "{} names {}, but the change was made on a phone of {maker}",
            claim.field, claim.named
        ));
    }
    let mut bind: Vec<ActorId> = changes
        .iter()
        .map(|c| c.actor_id().clone())
        .filter(|a| !crate::docs::is_genesis(a) && owner_of(a).is_none())
        .collect();
    bind.sort();
    bind.dedup();
    ClaimCheck::Sound { bind }
}

/// Splits a push into the changes made up to `cutoff` (by the phone's clock, the only one there
/// was) and those made after; a change that depends on a later one is later too. When a
/// household leaves a member, what they wrote while it was theirs is kept and what they wrote
/// after is refused.
pub fn split_at_time(changes: Vec<Change>, cutoff: Timestamp) -> (Vec<Change>, Vec<Change>) {
    let mut late_hashes = HashSet::new();
    let (mut early, mut late) = (Vec::new(), Vec::new());
    // Phones send changes dependencies first, so one pass sees every dependency before it.
    for change in changes {
        if change.timestamp() > cutoff || change.deps().iter().any(|d| late_hashes.contains(d)) {
            late_hashes.insert(change.hash());
            late.push(change);
        } else {
            early.push(change);
        }
    }
    (early, late)
}

/// What refused changes would have done to a document, in words for the secretary who reviews
/// them: the notes and flags they add or change, or how many changes they are. `kept` are
/// changes of the same push that were accepted, which the refused ones may build on.
pub fn describe_changes(doc: &Doc, kept: &[Change], changes: &[Change]) -> String {
    let mut doc = doc.clone();
    if doc.automerge_mut().apply_changes(kept.to_vec()).is_err() {
        return format!("{} changes that do not apply", changes.len());
    }
    let doc = &doc;
    let mut after = doc.clone();
    if after
        .automerge_mut()
        .apply_changes(changes.to_vec())
        .is_err()
    {
        return format!("{} changes that do not apply", changes.len());
    }
    let (Ok(View::Household(old)), Ok(View::Household(new))) = (doc.view(), after.view()) else {
        return format!("{} changes to {}", changes.len(), doc.id());
    };
    let mut lines = Vec::new();
    for note in &new.notes {
        match old.notes.iter().find(|n| n.id == note.id) {
            Some(was) if was.text == note.text && was.deleted == note.deleted => {}
            Some(_) if note.deleted => {
                lines.push(format!("deletes the note of {}", note.date.vi()))
            }
            Some(_) => lines.push(format!(
                "edits the note of {}: «{}»",
                note.date.vi(),
                note.text
            )),
            None => lines.push(format!(
                "a note of {} by {}: «{}»",
                note.date.vi(),
                note.author,
                note.text
            )),
        }
    }
    for flag in &new.flags {
        match old.flags.iter().find(|f| f.id == flag.id) {
            Some(was) if was == flag => {}
            Some(_) => lines.push(format!(
                "flag «{}» set to {}",
                flag.text,
                flag.status.label_vi()
            )),
            None => lines.push(format!("a follow-up flag: «{}»", flag.text)),
        }
    }
    if lines.is_empty() {
        format!("{} changes to {}", changes.len(), doc.id())
    } else {
        lines.join("; ")
    }
}

/// Builds the answer to one sync request.
#[derive(Debug, Default)]
pub struct ResponseBuilder {
    /// Changes the phone sent in this request: it holds them, so they are not sent back.
    pushed: HashSet<ChangeHash>,
    /// What happened to each push, in the order pushed.
    results: Vec<PushResult>,
    /// Documents the phone pushed in this request: it holds them, so never needs a snapshot.
    pushed_docs: HashSet<DocId>,
    /// What the phone lacks of each document, by id.
    updates: BTreeMap<DocId, DocUpdate>,
    /// Documents the phone must drop, having left its scope.
    drops: Vec<String>,
}

impl ResponseBuilder {
    pub fn new() -> Self {
        Self::default()
    }

    /// Notes a change the phone pushed in this request.
    pub fn pushed(&mut self, hash: ChangeHash) {
        self.pushed.insert(hash);
    }

    pub fn result(&mut self, doc: &DocId, outcome: PushOutcome) {
        self.pushed_docs.insert(doc.clone());
        self.results.push(PushResult {
            doc: doc.to_string(),
            outcome,
        });
    }

    fn update(&mut self, doc: &DocId) -> &mut DocUpdate {
        self.updates
            .entry(doc.clone())
            .or_insert_with(|| DocUpdate {
                doc: doc.to_string(),
                ..DocUpdate::default()
            })
    }

    /// The outcome for a push whose document id did not even parse.
    pub fn result_raw(&mut self, doc: &str, outcome: PushOutcome) {
        self.results.push(PushResult {
            doc: doc.to_owned(),
            outcome,
        });
    }

    /// The server's heads for a document after this request: the phone holds everything up to
    /// them once it has applied the answer.
    pub fn heads(&mut self, doc: &DocId, heads: &[ChangeHash]) {
        self.update(doc).heads = super::hashes_to_wire(heads);
    }

    /// The whole document, for a phone that has never held it.
    pub fn snapshot(&mut self, doc: &DocId, bytes: Vec<u8>) {
        self.update(doc).snapshot = Some(bytes);
    }

    /// A logged change the phone has not read yet; skipped when the phone itself just sent it.
    pub fn change(&mut self, doc: &DocId, hash: &ChangeHash, bytes: Vec<u8>) {
        if !self.pushed.contains(hash) {
            self.update(doc).changes.push(bytes);
        }
    }

    /// Whether the phone pushed this document in this request.
    pub fn was_pushed(&self, doc: &DocId) -> bool {
        self.pushed_docs.contains(doc)
    }

    /// Tells the phone to drop a document that left its scope.
    pub fn drop_doc(&mut self, doc: &DocId) {
        self.drops.push(doc.to_string());
    }

    pub fn finish(self, cursor: Cursor, server_time: i64, lock_after: i64) -> SyncResponse {
        SyncResponse {
            cursor,
            results: self.results,
            updates: self.updates.into_values().collect(),
            server_time,
            drop: self.drops,
            wipe: false,
            lock_after,
        }
    }

    /// The answer to a phone that must erase itself: nothing else.
    pub fn wipe(server_time: i64) -> SyncResponse {
        SyncResponse {
            server_time,
            wipe: true,
            ..SyncResponse::default()
        }
    }
}
