//! The phone's records in IndexedDB, as core decides them: the replica's own record, and for
//! each document a state record and its chunks (a snapshot, then increments). The app writes
//! what `takeWrites` returns in one transaction after every change, and reads the records back
//! with `fromRecord` and `restoreDocument`.

use hosync_core::DocId;
use hosync_core::sync::{DocBytes, Replica, StorageWrites};
use js_sys::{Array, Object, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;

use crate::WasmReplica;

#[wasm_bindgen(typescript_custom_section)]
const STORAGE_TS: &str = r#"
/** The records to write after a change, all in one IndexedDB transaction. */
export interface StorageWrites {
  /** The replica's own record (who the phone is, its cursor), when it changed. */
  meta: Uint8Array | null;
  docs: DocRecord[];
  /** Documents whose records (state and every chunk) go, before `docs` are written. */
  removed: string[];
}

/** One document's records to write. */
export interface DocRecord {
  doc: string;
  /** The whole document: it replaces every chunk of the document, as chunk 0. */
  snapshot: Uint8Array | null;
  /** The changes since the last write, added as chunk `chunk`. */
  increment: Uint8Array | null;
  chunk: number;
  /** The document's state record, when it changed. */
  state: Uint8Array | null;
}
"#;

fn set(object: &Object, key: &str, value: &JsValue) -> Result<(), JsError> {
    Reflect::set(object, &JsValue::from_str(key), value)
        .map(drop)
        .map_err(|_| JsError::new("could not build the storage writes"))
}

fn bytes_or_null(bytes: Option<&[u8]>) -> JsValue {
    bytes.map_or(JsValue::NULL, |b| Uint8Array::from(b).into())
}

fn to_js(writes: &StorageWrites) -> Result<JsValue, JsError> {
    let out = Object::new();
    set(&out, "meta", &bytes_or_null(writes.meta.as_deref()))?;
    let docs = Array::new();
    for record in &writes.docs {
        let doc = Object::new();
        set(&doc, "doc", &JsValue::from_str(&record.id.to_string()))?;
        let (snapshot, increment, chunk) = match &record.bytes {
            DocBytes::Unchanged => (None, None, 0),
            DocBytes::Snapshot(bytes) => (Some(bytes.as_slice()), None, 0),
            DocBytes::Increment { chunk, bytes } => (None, Some(bytes.as_slice()), *chunk),
        };
        set(&doc, "snapshot", &bytes_or_null(snapshot))?;
        set(&doc, "increment", &bytes_or_null(increment))?;
        set(&doc, "chunk", &JsValue::from(chunk))?;
        set(&doc, "state", &bytes_or_null(record.state.as_deref()))?;
        docs.push(&doc);
    }
    set(&out, "docs", &docs)?;
    let removed: Array = writes
        .removed
        .iter()
        .map(|id| JsValue::from_str(&id.to_string()))
        .collect();
    set(&out, "removed", &removed)?;
    Ok(out.into())
}

#[wasm_bindgen(js_class = Replica)]
impl WasmReplica {
    /// What changed since the last call, as records to write in one transaction. Call it after
    /// every edit, sync and bundle; if the transaction fails, call `forgetStored`.
    #[wasm_bindgen(js_name = takeWrites, unchecked_return_type = "StorageWrites")]
    pub fn take_writes(&mut self) -> Result<JsValue, JsError> {
        to_js(&self.0.take_writes())
    }

    /// The last writes did not reach the disk: the next `takeWrites` writes everything whole.
    #[wasm_bindgen(js_name = forgetStored)]
    pub fn forget_stored(&mut self) {
        self.0.forget_stored();
    }

    /// Snapshots of at most `most` documents whose increments have piled up, each replacing
    /// that document's chunks; for when the phone is idle. Written like `takeWrites`.
    #[wasm_bindgen(unchecked_return_type = "StorageWrites")]
    pub fn compaction(&mut self, most: u32) -> Result<JsValue, JsError> {
        to_js(&self.0.compaction(most as usize))
    }

    /// The replica from its own record, with no documents yet (add them with
    /// `restoreDocument`).
    #[wasm_bindgen(js_name = fromRecord)]
    pub fn from_record(meta: &[u8]) -> Result<WasmReplica, JsError> {
        Ok(WasmReplica(Replica::from_record(meta)?))
    }

    /// A stored document: its state record and its chunks in order.
    #[wasm_bindgen(js_name = restoreDocument)]
    pub fn restore_document(
        &mut self,
        #[wasm_bindgen(js_name = docId)] doc_id: &str,
        state: &[u8],
        chunks: Vec<Uint8Array>,
    ) -> Result<(), JsError> {
        let id = DocId::parse(doc_id)?;
        let chunks: Vec<Vec<u8>> = chunks.iter().map(Uint8Array::to_vec).collect();
        self.0.restore_doc(id, state, &chunks)?;
        Ok(())
    }
}
