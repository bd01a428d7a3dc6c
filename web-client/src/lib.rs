//! hosync-core for the browser: the class `Replica`, which holds every document of the phone and
//! its sync state, and the coded values with their labels in Vietnamese and English.
//!
//! This crate only translates. Ids, days and codes are parsed into core's types at the boundary
//! and core's own error message is thrown when they are wrong; every domain rule (validation,
//! merging, what a sync sends) stays in core. The one thing it adds is the clock, since core
//! takes the time as an argument and the browser has it.
//!
//! Documents are named by their id: `h:<household>`, `c:<cell>` or `r:<member>:<yyyy-mm>`.
//! Days are `yyyy-mm-dd`.

mod interop;
mod storage;
mod views;

use hosync_core::docs::report::ReportState;
use hosync_core::docs::{Doc, cell, household, report};
use hosync_core::ids::DocKind;
use hosync_core::protocol::{self, PROTOCOL_VERSION};
use hosync_core::sync::Replica;
use hosync_core::{
    ClosedReason, Day, DeviceId, DocId, FlagId, FlagStatus, HouseholdId, MemberId, MemberStatus,
    Month, NoteId, Rating, Role,
};
use wasm_bindgen::prelude::*;

use crate::interop::{now, to_js};
use crate::views::{
    CellView, CodeLabel, ConflictView, DocConflictsView, DocIdView, HouseholdSummary,
    HouseholdView, ReportView, StatusView, SyncOutcomeView,
};

/// Everything this phone holds: its documents, what the server has acknowledged of each, and
/// how far it has read the server's log. Write what `takeWrites()` returns (in IndexedDB) after
/// every change and read it back with `Replica.fromRecord` and `restoreDocument` at start.
#[wasm_bindgen(js_name = Replica)]
#[derive(Debug)]
pub struct WasmReplica(Replica);

impl WasmReplica {
    /// The document, read from storage's chunks first if it was not yet (a phone opens without
    /// reading its documents; each is read when a screen needs it).
    fn doc(&mut self, id: &str) -> Result<&Doc, JsError> {
        let id = DocId::parse(id)?;
        self.0.read(&id)?;
        self.0.doc(&id).ok_or_else(|| not_on_phone(&id))
    }

    fn doc_mut(&mut self, id: &str) -> Result<&mut Doc, JsError> {
        let id = DocId::parse(id)?;
        self.0.read(&id)?;
        self.0.doc_mut(&id).ok_or_else(|| not_on_phone(&id))
    }
}

fn not_on_phone(id: &DocId) -> JsError {
    JsError::new(&format!(
        "document {id} is not on this phone: open it with openDocument or sync first"
    ))
}

#[wasm_bindgen(js_class = Replica)]
impl WasmReplica {
    /// A new, empty replica for an enrolled device and its member, writing with a fresh random
    /// Automerge actor.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(js_name = deviceId)] device_id: &str,
        #[wasm_bindgen(js_name = memberId)] member_id: &str,
    ) -> Result<WasmReplica, JsError> {
        Ok(WasmReplica(Replica::new(
            DeviceId::parse(device_id)?,
            MemberId::parse(member_id)?,
            hosync_core::docs::random_actor(),
        )))
    }

    /// A fresh Automerge actor, in hex, for a phone about to enrol: it names it in its
    /// enrolment (`actor`), so the server knows this phone's changes as its own from the start,
    /// and passes it to `enrolled`.
    #[wasm_bindgen(js_name = newActor)]
    pub fn new_actor() -> String {
        hosync_core::docs::random_actor().to_hex_string()
    }

    /// The replica of a phone just enrolled, from the JSON the server's `POST /api/v1/enrol`
    /// answered (device, member, token…), writing under `actor` (from `newActor`; a fresh one
    /// when not given).
    pub fn enrolled(enrolment: JsValue, actor: Option<String>) -> Result<WasmReplica, JsError> {
        let enrolment: hosync_core::protocol::Enrolment = serde_wasm_bindgen::from_value(enrolment)
            .map_err(|e| JsError::new(&format!("not an enrolment answer: {e}")))?;
        let actor = match actor {
            Some(hex) => automerge::ActorId::try_from(hex.as_str())
                .map_err(|_| JsError::new(&format!("actor {hex:?} is not hexadecimal")))?,
            None => hosync_core::docs::random_actor(),
        };
        Ok(WasmReplica(Replica::enrolled(&enrolment, actor)?))
    }

    /// Whether the phone has been away from the server so long (30 days unless the server
    /// says otherwise) that its data must stay locked until it syncs. `now` is Unix seconds.
    #[wasm_bindgen(js_name = isLocked)]
    pub fn is_locked(&self, now: f64) -> bool {
        self.0.is_locked(now as i64)
    }

    /// A replica from the bytes `save()` returned: the layout of phones before records, read
    /// once to move them to records.
    pub fn load(bytes: &[u8]) -> Result<WasmReplica, JsError> {
        Ok(WasmReplica(Replica::load(bytes)?))
    }

    /// The whole replica as one value, the layout before records.
    pub fn save(&self) -> Vec<u8> {
        self.0.save()
    }

    /// The sync protocol version this build speaks.
    #[wasm_bindgen(getter = protocolVersion)]
    pub fn protocol_version() -> u8 {
        PROTOCOL_VERSION
    }

    /// The device this replica syncs as.
    #[wasm_bindgen(getter = deviceId)]
    pub fn device_id(&self) -> String {
        self.0.device().to_string()
    }

    /// The device token, for the few online calls beside sync (a secretary issuing an
    /// enrolment code for a member of the cell).
    #[wasm_bindgen(getter = token)]
    pub fn token(&self) -> String {
        self.0.token().to_owned()
    }

    /// The member who uses this phone.
    #[wasm_bindgen(getter = memberId)]
    pub fn member_id(&self) -> String {
        self.0.member().to_string()
    }

    /// Server time (Unix seconds) at the last sync answer, or undefined if there was none: how
    /// long the phone has been away from the server.
    #[wasm_bindgen(getter = lastContact)]
    pub fn last_contact(&self) -> Option<f64> {
        // Seconds since 1970 fit a JavaScript number exactly.
        self.0.last_contact().map(|t| t as f64)
    }

    /// Makes sure the document is on this phone, creating it with the skeleton every phone
    /// shares (so two phones starting the same report offline merge into one).
    #[wasm_bindgen(js_name = openDocument)]
    pub fn open_document(
        &mut self,
        #[wasm_bindgen(js_name = docId)] doc_id: &str,
    ) -> Result<(), JsError> {
        let id = DocId::parse(doc_id)?;
        // A stored document that cannot be read is an error here, not a fresh one in its place.
        self.0.read(&id)?;
        self.0.open(&id);
        Ok(())
    }

    /// Drops a document from this phone (one that left the member's scope).
    #[wasm_bindgen(js_name = removeDocument)]
    pub fn remove_document(
        &mut self,
        #[wasm_bindgen(js_name = docId)] doc_id: &str,
    ) -> Result<(), JsError> {
        self.0.remove(&DocId::parse(doc_id)?);
        Ok(())
    }

    /// Lets a document go back to bytes, out of Automerge, to save memory: only once all of it
    /// is stored and no request carries it. Whether it went; it is read again when next needed.
    #[wasm_bindgen(js_name = releaseDocument)]
    pub fn release_document(
        &mut self,
        #[wasm_bindgen(js_name = docId)] doc_id: &str,
    ) -> Result<bool, JsError> {
        Ok(self.0.release(&DocId::parse(doc_id)?))
    }

    /// Whether this phone holds the document.
    pub fn holds(&self, #[wasm_bindgen(js_name = docId)] doc_id: &str) -> Result<bool, JsError> {
        let id = DocId::parse(doc_id)?;
        Ok(self.0.holds(&id))
    }

    /// The id of the first cell document on this phone, if it holds one.
    #[wasm_bindgen(js_name = cellDocId)]
    pub fn cell_doc_id(&self) -> Option<String> {
        self.0
            .doc_ids()
            .find(|id| id.kind() == DocKind::Cell)
            .map(ToString::to_string)
    }

    /// Every document on this phone.
    #[wasm_bindgen(js_name = documentIds)]
    pub fn document_ids(&self) -> Vec<String> {
        self.0.doc_ids().map(ToString::to_string).collect()
    }

    /// Documents with changes the server has not acknowledged (chưa đồng bộ).
    pub fn unsynced(&self) -> Vec<String> {
        self.0.unsynced().iter().map(ToString::to_string).collect()
    }

    /// Where a document stands.
    #[wasm_bindgen(unchecked_return_type = "DocStatus")]
    pub fn status(
        &self,
        #[wasm_bindgen(js_name = docId)] doc_id: &str,
    ) -> Result<JsValue, JsError> {
        let id = DocId::parse(doc_id)?;
        let status = self.0.status(&id).ok_or_else(|| not_on_phone(&id))?;
        to_js(&StatusView::from(status))
    }

    // Households.

    /// Every household on this phone, for the list screen: who holds it (from the cell's
    /// assignments, when the cell is on the phone) and whether it is on the phone's member's
    /// own list, whether it was visited in `month` (yyyy-mm), and where its changes stand.
    /// Sorted by the head's given name.
    #[wasm_bindgen(js_name = householdList, unchecked_return_type = "HouseholdSummary[]")]
    pub fn household_list(&mut self, month: &str) -> Result<JsValue, JsError> {
        let month = Month::parse(month)?;
        let cell_id = self
            .0
            .doc_ids()
            .find(|id| id.kind() == DocKind::Cell)
            .cloned();
        let cell = match cell_id {
            Some(id) => {
                self.0.read(&id)?;
                self.0.doc(&id).map(cell::read).transpose()?
            }
            None => None,
        };
        let households: Vec<DocId> = self
            .0
            .doc_ids()
            .filter(|id| id.kind() == DocKind::Household)
            .cloned()
            .collect();
        let mut list = Vec::with_capacity(households.len());
        // Each from its digest, so listing reads no household that is not open.
        for id in households {
            let Some(digest) = self.0.digest(&id)? else {
                continue;
            };
            let status = self.0.status(&id).map(StatusView::from);
            list.push(HouseholdSummary::new(
                &id,
                &digest,
                month,
                cell.as_ref(),
                self.0.member(),
                status,
            ));
        }
        list.sort_by_cached_key(HouseholdSummary::sort_key);
        to_js(&list)
    }

    /// The household, read and checked.
    #[wasm_bindgen(unchecked_return_type = "Household")]
    pub fn household(
        &mut self,
        #[wasm_bindgen(js_name = docId)] doc_id: &str,
    ) -> Result<JsValue, JsError> {
        let household = household::read(self.doc(doc_id)?)?;
        to_js(&HouseholdView::from(&household))
    }

    /// Changes profile fields; one given its current value is not written, so it cannot start
    /// a conflict.
    #[wasm_bindgen(js_name = updateProfile)]
    pub fn update_profile(
        &mut self,
        #[wasm_bindgen(js_name = docId)] doc_id: &str,
        #[wasm_bindgen(unchecked_param_type = "ProfileUpdate")] update: JsValue,
    ) -> Result<(), JsError> {
        let update = interop::profile_update(update)?;
        Ok(household::update_profile(
            self.doc_mut(doc_id)?,
            &update,
            now(),
        )?)
    }

    /// A new household of the secretary's cell (a family moved into the village), made on this
    /// phone, offline if need be: its id is random, so ids made on two phones never collide, and
    /// the server takes it into the cell at the next sync. Returns its document id.
    #[wasm_bindgen(js_name = createHousehold)]
    pub fn create_household(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "ProfileUpdate")] profile: JsValue,
    ) -> Result<String, JsError> {
        let profile = interop::profile_update(profile)?;
        let id = DocId::Household(HouseholdId::random());
        let created = household::create(self.0.open(&id), &profile, now());
        if let Err(e) = created {
            // Nothing of a refused household stays on the phone.
            self.0.remove(&id);
            return Err(e.into());
        }
        Ok(id.to_string())
    }

    /// Closes a household (moved away, merged) from a day on: kept with its notes, looked after
    /// no more.
    #[wasm_bindgen(js_name = closeHousehold)]
    pub fn close_household(
        &mut self,
        #[wasm_bindgen(js_name = docId)] doc_id: &str,
        #[wasm_bindgen(unchecked_param_type = "ClosedReasonCode")] reason: &str,
        detail: &str,
        #[wasm_bindgen(js_name = onIso)] on_iso: &str,
        by: &str,
    ) -> Result<(), JsError> {
        let reason = ClosedReason::parse(reason)?;
        let on = Day::parse(on_iso)?;
        let by = MemberId::parse(by)?;
        Ok(household::close(
            self.doc_mut(doc_id)?,
            reason,
            detail,
            &by,
            on,
            now(),
        )?)
    }

    /// Opens a closed household again (closed by mistake, or the family came back).
    #[wasm_bindgen(js_name = reopenHousehold)]
    pub fn reopen_household(
        &mut self,
        #[wasm_bindgen(js_name = docId)] doc_id: &str,
    ) -> Result<(), JsError> {
        Ok(household::reopen(self.doc_mut(doc_id)?, now())?)
    }

    /// Adds a tag such as "hộ nghèo"; tags added on two phones are both kept.
    #[wasm_bindgen(js_name = addTag)]
    pub fn add_tag(
        &mut self,
        #[wasm_bindgen(js_name = docId)] doc_id: &str,
        tag: &str,
    ) -> Result<(), JsError> {
        Ok(household::add_tag(self.doc_mut(doc_id)?, tag, now())?)
    }

    /// Writes a visit note and returns its id.
    #[wasm_bindgen(js_name = addNote)]
    pub fn add_note(
        &mut self,
        #[wasm_bindgen(js_name = docId)] doc_id: &str,
        author: &str,
        #[wasm_bindgen(js_name = dateIso)] date_iso: &str,
        text: &str,
        topics: Vec<String>,
    ) -> Result<String, JsError> {
        let author = MemberId::parse(author)?;
        let date = Day::parse(date_iso)?;
        let doc = self.doc_mut(doc_id)?;
        let id = household::add_note(doc, &author, date, text, &topics, now())?;
        Ok(id.to_string())
    }

    /// Replaces a note's text; only the characters that differ are written, so a concurrent
    /// edit on another phone merges instead of being overwritten.
    #[wasm_bindgen(js_name = editNote)]
    pub fn edit_note(
        &mut self,
        #[wasm_bindgen(js_name = docId)] doc_id: &str,
        #[wasm_bindgen(js_name = noteId)] note_id: &str,
        text: &str,
    ) -> Result<(), JsError> {
        let note = NoteId::parse(note_id)?;
        Ok(household::edit_note(
            self.doc_mut(doc_id)?,
            &note,
            text,
            now(),
        )?)
    }

    /// Deletes `del` characters at `pos` and inserts `insert` there. Positions count Unicode
    /// code points, not the UTF-16 units of JavaScript string indices: they differ only after
    /// a character outside the Basic Multilingual Plane, such as an emoji.
    #[wasm_bindgen(js_name = spliceNote)]
    pub fn splice_note(
        &mut self,
        #[wasm_bindgen(js_name = docId)] doc_id: &str,
        #[wasm_bindgen(js_name = noteId)] note_id: &str,
        pos: u32,
        del: u32,
        insert: &str,
    ) -> Result<(), JsError> {
        let note = NoteId::parse(note_id)?;
        let (pos, del) = interop::span(pos, del)?;
        let doc = self.doc_mut(doc_id)?;
        Ok(household::splice_note(doc, &note, pos, del, insert, now())?)
    }

    /// Moves a note to another day (a visit written up later).
    #[wasm_bindgen(js_name = setNoteDate)]
    pub fn set_note_date(
        &mut self,
        #[wasm_bindgen(js_name = docId)] doc_id: &str,
        #[wasm_bindgen(js_name = noteId)] note_id: &str,
        #[wasm_bindgen(js_name = dateIso)] date_iso: &str,
    ) -> Result<(), JsError> {
        let note = NoteId::parse(note_id)?;
        let date = Day::parse(date_iso)?;
        Ok(household::set_note_date(
            self.doc_mut(doc_id)?,
            &note,
            date,
            now(),
        )?)
    }

    /// Marks a note deleted, or restores it; its text stays either way.
    #[wasm_bindgen(js_name = setNoteDeleted)]
    pub fn set_note_deleted(
        &mut self,
        #[wasm_bindgen(js_name = docId)] doc_id: &str,
        #[wasm_bindgen(js_name = noteId)] note_id: &str,
        deleted: bool,
    ) -> Result<(), JsError> {
        let note = NoteId::parse(note_id)?;
        Ok(household::set_note_deleted(
            self.doc_mut(doc_id)?,
            &note,
            deleted,
            now(),
        )?)
    }

    /// Raises a follow-up flag (kiến nghị), from a note or on its own, and returns its id.
    #[wasm_bindgen(js_name = raiseFlag)]
    pub fn raise_flag(
        &mut self,
        #[wasm_bindgen(js_name = docId)] doc_id: &str,
        #[wasm_bindgen(js_name = noteId)] note_id: Option<String>,
        by: &str,
        #[wasm_bindgen(js_name = dateIso)] date_iso: &str,
        text: &str,
    ) -> Result<String, JsError> {
        let note = note_id.as_deref().map(NoteId::parse).transpose()?;
        let by = MemberId::parse(by)?;
        let on = Day::parse(date_iso)?;
        let doc = self.doc_mut(doc_id)?;
        let id = household::raise_flag(doc, note.as_ref(), &by, on, text, now())?;
        Ok(id.to_string())
    }

    /// Moves a flag to a new status: escalated, resolved, or open again.
    #[wasm_bindgen(js_name = setFlagStatus)]
    pub fn set_flag_status(
        &mut self,
        #[wasm_bindgen(js_name = docId)] doc_id: &str,
        #[wasm_bindgen(js_name = flagId)] flag_id: &str,
        #[wasm_bindgen(unchecked_param_type = "FlagStatusCode")] status: &str,
        by: &str,
        #[wasm_bindgen(js_name = dateIso)] date_iso: &str,
    ) -> Result<(), JsError> {
        let flag = FlagId::parse(flag_id)?;
        let status = FlagStatus::parse(status)?;
        let by = MemberId::parse(by)?;
        let on = Day::parse(date_iso)?;
        let doc = self.doc_mut(doc_id)?;
        Ok(household::set_flag_status(
            doc,
            &flag,
            status,
            &by,
            on,
            now(),
        )?)
    }

    /// Replaces a flag's text, character by character.
    #[wasm_bindgen(js_name = editFlag)]
    pub fn edit_flag(
        &mut self,
        #[wasm_bindgen(js_name = docId)] doc_id: &str,
        #[wasm_bindgen(js_name = flagId)] flag_id: &str,
        text: &str,
    ) -> Result<(), JsError> {
        let flag = FlagId::parse(flag_id)?;
        Ok(household::edit_flag(
            self.doc_mut(doc_id)?,
            &flag,
            text,
            now(),
        )?)
    }

    // Cells.

    /// The cell, read and checked.
    #[wasm_bindgen(unchecked_return_type = "Cell")]
    pub fn cell(
        &mut self,
        #[wasm_bindgen(js_name = docId)] doc_id: &str,
    ) -> Result<JsValue, JsError> {
        let cell = cell::read(self.doc(doc_id)?)?;
        to_js(&CellView::from(&cell))
    }

    /// Adds a member to the roster, or changes their name and role.
    #[wasm_bindgen(js_name = setMember)]
    pub fn set_member(
        &mut self,
        #[wasm_bindgen(js_name = docId)] doc_id: &str,
        #[wasm_bindgen(js_name = memberId)] member_id: &str,
        name: &str,
        #[wasm_bindgen(unchecked_param_type = "RoleCode")] role: &str,
    ) -> Result<(), JsError> {
        let member = MemberId::parse(member_id)?;
        let role = Role::parse(role)?;
        Ok(cell::set_member(
            self.doc_mut(doc_id)?,
            &member,
            name,
            role,
            now(),
        )?)
    }

    /// Marks a member working away (`detail`: where), exempt (`detail`: why) or active again.
    #[wasm_bindgen(js_name = setMemberStatus)]
    pub fn set_member_status(
        &mut self,
        #[wasm_bindgen(js_name = docId)] doc_id: &str,
        #[wasm_bindgen(js_name = memberId)] member_id: &str,
        #[wasm_bindgen(unchecked_param_type = "MemberStatusCode")] status: &str,
        detail: &str,
    ) -> Result<(), JsError> {
        let member = MemberId::parse(member_id)?;
        let status = MemberStatus::parse(status, detail)?;
        Ok(cell::set_member_status(
            self.doc_mut(doc_id)?,
            &member,
            &status,
            now(),
        )?)
    }

    /// Assigns a household to a member from a day on, or takes it off everyone (`memberId`
    /// null).
    pub fn assign(
        &mut self,
        #[wasm_bindgen(js_name = docId)] doc_id: &str,
        #[wasm_bindgen(js_name = householdId)] household_id: &str,
        #[wasm_bindgen(js_name = memberId)] member_id: Option<String>,
        #[wasm_bindgen(js_name = fromIso)] from_iso: &str,
        by: &str,
    ) -> Result<(), JsError> {
        let household = HouseholdId::parse(household_id)?;
        let member = member_id.as_deref().map(MemberId::parse).transpose()?;
        let from = Day::parse(from_iso)?;
        let by = MemberId::parse(by)?;
        let doc = self.doc_mut(doc_id)?;
        Ok(cell::assign(
            doc,
            &household,
            member.as_ref(),
            from,
            &by,
            now(),
        )?)
    }

    // Monthly reports.

    /// The report, read and checked, with the Vietnamese label of each rating.
    #[wasm_bindgen(unchecked_return_type = "MonthlyReport")]
    pub fn report(
        &mut self,
        #[wasm_bindgen(js_name = docId)] doc_id: &str,
    ) -> Result<JsValue, JsError> {
        let report = report::read(self.doc(doc_id)?)?;
        to_js(&ReportView::from(&report))
    }

    /// Writes the member's part of the report.
    #[wasm_bindgen(js_name = writeReport)]
    pub fn write_report(
        &mut self,
        #[wasm_bindgen(js_name = docId)] doc_id: &str,
        #[wasm_bindgen(unchecked_param_type = "ReportDraft")] draft: JsValue,
    ) -> Result<(), JsError> {
        let draft = interop::report_draft(draft)?;
        Ok(report::write(self.doc_mut(doc_id)?, &draft, now())?)
    }

    /// Hands the report in to the cell, on the given day or today (in Vietnam).
    #[wasm_bindgen(js_name = submitReport)]
    pub fn submit_report(
        &mut self,
        #[wasm_bindgen(js_name = docId)] doc_id: &str,
        #[wasm_bindgen(js_name = dateIso)] date_iso: Option<String>,
    ) -> Result<(), JsError> {
        let now = now();
        let on = match date_iso {
            Some(iso) => Day::parse(&iso)?,
            None => Day::from_timestamp(now),
        };
        Ok(report::submit(self.doc_mut(doc_id)?, on, now)?)
    }

    /// The cell's rating and comment (chi bộ đánh giá, xếp loại; góp ý).
    #[wasm_bindgen(js_name = rateReport)]
    pub fn rate_report(
        &mut self,
        #[wasm_bindgen(js_name = docId)] doc_id: &str,
        #[wasm_bindgen(unchecked_param_type = "RatingCode")] rating: &str,
        comment: &str,
        by: &str,
        #[wasm_bindgen(js_name = dateIso)] date_iso: &str,
    ) -> Result<(), JsError> {
        let rating = Rating::parse(rating)?;
        let by = MemberId::parse(by)?;
        let on = Day::parse(date_iso)?;
        let doc = self.doc_mut(doc_id)?;
        Ok(report::rate(doc, rating, comment, &by, on, now())?)
    }

    // Conflicts.

    /// Fields that two phones set differently, each with every value still held.
    #[wasm_bindgen(unchecked_return_type = "Conflict[]")]
    pub fn conflicts(
        &mut self,
        #[wasm_bindgen(js_name = docId)] doc_id: &str,
    ) -> Result<JsValue, JsError> {
        let conflicts = self.doc(doc_id)?.conflicts();
        to_js(&conflicts.iter().map(ConflictView::from).collect::<Vec<_>>())
    }

    /// Every document on this phone with a conflict, with its fields in conflict: the
    /// secretary's list of what to settle.
    #[wasm_bindgen(js_name = conflictList, unchecked_return_type = "DocConflicts[]")]
    pub fn conflict_list(&mut self) -> Result<JsValue, JsError> {
        let mut held = Vec::new();
        for id in self.0.conflicted() {
            self.0.read(&id)?;
            if let Some(doc) = self.0.doc(&id) {
                held.push((id, doc.conflicts()));
            }
        }
        let list: Vec<_> = held
            .iter()
            .map(|(id, conflicts)| DocConflictsView::new(id, conflicts))
            .collect();
        to_js(&list)
    }

    /// Settles a conflict with one of its values (as `conflicts` gave it); the others stay in
    /// the document's history.
    pub fn settle(
        &mut self,
        #[wasm_bindgen(js_name = docId)] doc_id: &str,
        path: Vec<String>,
        value: &str,
    ) -> Result<(), JsError> {
        Ok(self.doc_mut(doc_id)?.settle(&path, value, now())?)
    }

    // Sync.

    /// The request frame of the next sync round trip: every change the server has not
    /// acknowledged. Send it as the body of the sync request and hand the answer to
    /// `finishSync`; if the round trip breaks, calling this again is safe.
    #[wasm_bindgen(js_name = startSync)]
    pub fn start_sync(&mut self) -> Vec<u8> {
        protocol::encode_request(&self.0.start_sync())
    }

    /// Takes in the server's answer frame. On error nothing is acknowledged, and the next
    /// sync asks again.
    #[wasm_bindgen(js_name = finishSync, unchecked_return_type = "SyncOutcome")]
    pub fn finish_sync(&mut self, frame: &[u8]) -> Result<JsValue, JsError> {
        let response = protocol::decode_response(frame)?;
        let outcome = self.0.finish_sync(&response)?;
        to_js(&SyncOutcomeView::from(&outcome))
    }

    /// Every document with changes the server has not acknowledged, as one file (or QR
    /// payload) to hand to another phone.
    #[wasm_bindgen(js_name = exportBundle)]
    pub fn export_bundle(&self) -> Vec<u8> {
        self.0.export_bundle()
    }

    /// Takes in another phone's bundle, all or nothing; what it adds goes to the server with
    /// this phone's next sync. Returns the documents it touched.
    #[wasm_bindgen(js_name = importBundle)]
    pub fn import_bundle(&mut self, bytes: &[u8]) -> Result<Vec<String>, JsError> {
        let touched = self.0.import_bundle(bytes)?;
        Ok(touched.iter().map(ToString::to_string).collect())
    }
}

/// What a document id names (a household, a cell, or a member's report for a month), read by
/// core; a malformed id throws core's message.
#[wasm_bindgen(js_name = parseDocId, unchecked_return_type = "DocIdParts")]
pub fn parse_doc_id(#[wasm_bindgen(js_name = docId)] doc_id: &str) -> Result<JsValue, JsError> {
    to_js(&DocIdView::from(&DocId::parse(doc_id)?))
}

/// The document id of `member`'s report for `month` (yyyy-mm).
#[wasm_bindgen(js_name = reportDocId)]
pub fn report_doc_id(member: &str, month: &str) -> Result<String, JsError> {
    Ok(DocId::Report(MemberId::parse(member)?, Month::parse(month)?).to_string())
}

/// The four ratings (xếp loại), best first, with their labels in Vietnamese and English.
#[wasm_bindgen(unchecked_return_type = "CodeLabel<RatingCode>[]")]
pub fn ratings() -> Result<JsValue, JsError> {
    to_js(
        &Rating::ALL
            .iter()
            .copied()
            .map(CodeLabel::from)
            .collect::<Vec<_>>(),
    )
}

/// The statuses of a follow-up flag, with their labels in Vietnamese and English.
#[wasm_bindgen(js_name = flagStatuses, unchecked_return_type = "CodeLabel<FlagStatusCode>[]")]
pub fn flag_statuses() -> Result<JsValue, JsError> {
    to_js(
        &FlagStatus::ALL
            .iter()
            .copied()
            .map(CodeLabel::from)
            .collect::<Vec<_>>(),
    )
}

/// Where a month's report may stand, with their labels in Vietnamese and English.
#[wasm_bindgen(js_name = reportStates, unchecked_return_type = "CodeLabel<ReportStateCode>[]")]
pub fn report_states() -> Result<JsValue, JsError> {
    to_js(
        &ReportState::ALL
            .iter()
            .copied()
            .map(CodeLabel::from)
            .collect::<Vec<_>>(),
    )
}

/// Why a household may be closed, with their labels in Vietnamese and English.
#[wasm_bindgen(js_name = closedReasons, unchecked_return_type = "CodeLabel<ClosedReasonCode>[]")]
pub fn closed_reasons() -> Result<JsValue, JsError> {
    to_js(
        &ClosedReason::ALL
            .iter()
            .copied()
            .map(CodeLabel::from)
            .collect::<Vec<_>>(),
    )
}

/// A member's statuses, with their labels in Vietnamese and English.
#[wasm_bindgen(js_name = memberStatuses, unchecked_return_type = "CodeLabel<MemberStatusCode>[]")]
pub fn member_statuses() -> Result<JsValue, JsError> {
    let place = String::new();
    let statuses = [
        MemberStatus::Active,
        MemberStatus::WorkingAway {
            place: place.clone(),
        },
        MemberStatus::Exempt { reason: place },
    ];
    to_js(&statuses.iter().map(CodeLabel::from).collect::<Vec<_>>())
}

/// The roles in a cell, with their labels in Vietnamese and English.
#[wasm_bindgen(unchecked_return_type = "CodeLabel<RoleCode>[]")]
pub fn roles() -> Result<JsValue, JsError> {
    to_js(
        &Role::ALL
            .iter()
            .copied()
            .map(CodeLabel::from)
            .collect::<Vec<_>>(),
    )
}
