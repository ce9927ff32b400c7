//! Enrollments in IndexedDB (through `rexie`): one object store of template records keyed by id.
//! Every write is one read-write transaction, so an interrupted enroll leaves the previous record.

use super::error::{js_error, STORAGE};
use crate::embed::Embedding;
use rexie::{ObjectStore, Rexie, TransactionMode};
use serde::{Deserialize, Serialize};
use wasm_bindgen::JsValue;

/// Object store holding the templates.
const TEMPLATES: &str = "templates";
/// IndexedDB schema version. Version 1 creates `templates` (key path `id`); a later version adds
/// its stores and indexes in the builder and keeps this one, so existing records survive.
const DB_VERSION: u32 = 1;
/// Version of a record's own layout.
pub(crate) const RECORD_FORMAT: u32 = 1;

/// One enrolled identity as stored: embeddings only, never images.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Record {
    pub id: String,
    pub format: u32,
    pub model_sha256: String,
    pub shots: Vec<Embedding>,
    /// Milliseconds since the epoch.
    pub created_at: f64,
    pub updated_at: f64,
}

fn storage(e: impl std::fmt::Debug) -> JsValue {
    js_error(STORAGE, format!("IndexedDB: {e:?}"))
}

fn to_js<T: Serialize>(value: &T) -> Result<JsValue, JsValue> {
    value.serialize(&serde_wasm_bindgen::Serializer::new().serialize_maps_as_objects(true)).map_err(storage)
}

fn from_js(value: JsValue) -> Result<Record, JsValue> {
    serde_wasm_bindgen::from_value(value).map_err(|e| js_error(STORAGE, format!("unreadable template record: {e}")))
}

/// An open IndexedDB database.
pub(crate) struct Store {
    db: Rexie,
}

impl Store {
    /// Opens (creating or upgrading) the database `name`.
    pub async fn open(name: &str) -> Result<Store, JsValue> {
        let db = Rexie::builder(name)
            .version(DB_VERSION)
            .add_object_store(ObjectStore::new(TEMPLATES).key_path("id"))
            .build()
            .await
            .map_err(storage)?;
        Ok(Store { db })
    }

    /// Every record.
    pub async fn all(&self) -> Result<Vec<Record>, JsValue> {
        let tx = self.db.transaction(&[TEMPLATES], TransactionMode::ReadOnly).map_err(storage)?;
        let values = tx.store(TEMPLATES).map_err(storage)?.get_all(None, None).await.map_err(storage)?;
        tx.done().await.map_err(storage)?;
        values.into_iter().map(from_js).collect()
    }

    /// The record of `id`, if any.
    pub async fn get(&self, id: &str) -> Result<Option<Record>, JsValue> {
        let tx = self.db.transaction(&[TEMPLATES], TransactionMode::ReadOnly).map_err(storage)?;
        let value = tx.store(TEMPLATES).map_err(storage)?.get(id.into()).await.map_err(storage)?;
        tx.done().await.map_err(storage)?;
        value.map(from_js).transpose()
    }

    /// Reads the record of `id`, lets `change` compute the new one, and writes it, all in one
    /// read-write transaction (aborted if `change` fails).
    pub async fn update(
        &self,
        id: &str,
        change: impl FnOnce(Option<Record>) -> Result<Record, JsValue>,
    ) -> Result<Record, JsValue> {
        let tx = self.db.transaction(&[TEMPLATES], TransactionMode::ReadWrite).map_err(storage)?;
        let store = tx.store(TEMPLATES).map_err(storage)?;
        let old = store.get(id.into()).await.map_err(storage)?.map(from_js).transpose()?;
        let new = match change(old) {
            Ok(record) => record,
            Err(e) => {
                let _ = tx.abort().await;
                return Err(e);
            }
        };
        store.put(&to_js(&new)?, None).await.map_err(storage)?;
        tx.done().await.map_err(storage)?;
        Ok(new)
    }

    /// Deletes `id`; `false` when it was not there.
    pub async fn remove(&self, id: &str) -> Result<bool, JsValue> {
        let tx = self.db.transaction(&[TEMPLATES], TransactionMode::ReadWrite).map_err(storage)?;
        let store = tx.store(TEMPLATES).map_err(storage)?;
        let existed = store.key_exists(id.into()).await.map_err(storage)?;
        store.delete(id.into()).await.map_err(storage)?;
        tx.done().await.map_err(storage)?;
        Ok(existed)
    }

    /// Deletes every record.
    pub async fn clear(&self) -> Result<(), JsValue> {
        let tx = self.db.transaction(&[TEMPLATES], TransactionMode::ReadWrite).map_err(storage)?;
        tx.store(TEMPLATES).map_err(storage)?.clear().await.map_err(storage)?;
        tx.done().await.map_err(storage)?;
        Ok(())
    }
}
