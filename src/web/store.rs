//! The browser's [`Store`]s: IndexedDB (through `rexie`), one object store of enrollment records
//! keyed by id, each write one read-write transaction whose outcome is checked (an aborted
//! transaction is a `STORAGE` error, never a success); or memory only.

use crate::error::{Error, Result};
use crate::store::{MemoryStore, Store};
use crate::template::Enrollment;
use rexie::{ObjectStore, Rexie, TransactionMode, TransactionResult};
use serde::Serialize;
use wasm_bindgen::JsValue;

/// Object store holding the enrollments.
const TEMPLATES: &str = "templates";
/// IndexedDB schema version. Version 1 creates `templates` (key path `id`); a later version adds
/// its stores and indexes in the builder and keeps this one, so existing records survive.
const DB_VERSION: u32 = 1;

fn storage(e: impl std::fmt::Debug) -> Error {
    Error::Storage(format!("IndexedDB: {e:?}"))
}

fn to_js(enrollment: &Enrollment) -> Result<JsValue> {
    enrollment.serialize(&serde_wasm_bindgen::Serializer::new().serialize_maps_as_objects(true)).map_err(storage)
}

fn from_js(value: JsValue) -> Result<Enrollment> {
    serde_wasm_bindgen::from_value(value).map_err(|e| Error::InvalidTemplate(format!("stored record: {e}")))
}

/// Waits for the transaction's end: `Ok` only when it committed.
async fn committed(tx: rexie::Transaction) -> Result<()> {
    match tx.done().await.map_err(storage)? {
        TransactionResult::Committed => Ok(()),
        TransactionResult::Aborted => {
            Err(Error::Storage("IndexedDB: the transaction was aborted; nothing was written".into()))
        }
    }
}

/// Enrollments in an IndexedDB database (the browser's persistent [`Store`]).
pub struct IndexedDbStore {
    db: Rexie,
}

impl IndexedDbStore {
    /// Opens (creating or upgrading) the database `name`; `STORAGE` when it cannot be opened
    /// (for example when it has a newer schema version).
    pub async fn open(name: &str) -> Result<IndexedDbStore> {
        let db = Rexie::builder(name)
            .version(DB_VERSION)
            .add_object_store(ObjectStore::new(TEMPLATES).key_path("id"))
            .build()
            .await
            .map_err(storage)?;
        Ok(IndexedDbStore { db })
    }

    fn transaction(&self, mode: TransactionMode) -> Result<(rexie::Transaction, rexie::Store)> {
        let tx = self.db.transaction(&[TEMPLATES], mode).map_err(storage)?;
        let store = tx.store(TEMPLATES).map_err(storage)?;
        Ok((tx, store))
    }
}

impl Store for IndexedDbStore {
    async fn load(&self) -> Result<Vec<Enrollment>> {
        let (tx, store) = self.transaction(TransactionMode::ReadOnly)?;
        let values = store.get_all(None, None).await.map_err(storage)?;
        committed(tx).await?;
        values.into_iter().map(from_js).collect()
    }

    async fn get(&self, id: &str) -> Result<Option<Enrollment>> {
        let (tx, store) = self.transaction(TransactionMode::ReadOnly)?;
        let value = store.get(id.into()).await.map_err(storage)?;
        committed(tx).await?;
        value.map(from_js).transpose()
    }

    async fn put(&self, enrollment: &Enrollment) -> Result<()> {
        self.put_all(std::slice::from_ref(enrollment), false).await
    }

    async fn count(&self) -> Result<usize> {
        let (tx, store) = self.transaction(TransactionMode::ReadOnly)?;
        let count = store.count(None).await.map_err(storage)?;
        committed(tx).await?;
        Ok(count as usize)
    }

    async fn remove(&self, id: &str) -> Result<bool> {
        let (tx, store) = self.transaction(TransactionMode::ReadWrite)?;
        let existed = store.key_exists(id.into()).await.map_err(storage)?;
        store.delete(id.into()).await.map_err(storage)?;
        committed(tx).await?;
        Ok(existed)
    }

    async fn clear(&self) -> Result<()> {
        self.put_all(&[], true).await
    }

    async fn put_all(&self, enrollments: &[Enrollment], replace: bool) -> Result<()> {
        let values = enrollments.iter().map(to_js).collect::<Result<Vec<_>>>()?;
        let (tx, store) = self.transaction(TransactionMode::ReadWrite)?;
        if replace {
            store.clear().await.map_err(storage)?;
        }
        for value in &values {
            store.put(value, None).await.map_err(storage)?;
        }
        committed(tx).await
    }
}

/// The store a `FaceVerifier` was created with (`storage: "indexeddb" | "memory"`).
pub(crate) enum WebStore {
    IndexedDb(IndexedDbStore),
    Memory(MemoryStore),
}

impl Store for WebStore {
    async fn load(&self) -> Result<Vec<Enrollment>> {
        match self {
            WebStore::IndexedDb(s) => s.load().await,
            WebStore::Memory(s) => s.load().await,
        }
    }
    async fn get(&self, id: &str) -> Result<Option<Enrollment>> {
        match self {
            WebStore::IndexedDb(s) => s.get(id).await,
            WebStore::Memory(s) => s.get(id).await,
        }
    }
    async fn put(&self, enrollment: &Enrollment) -> Result<()> {
        match self {
            WebStore::IndexedDb(s) => s.put(enrollment).await,
            WebStore::Memory(s) => s.put(enrollment).await,
        }
    }
    async fn count(&self) -> Result<usize> {
        match self {
            WebStore::IndexedDb(s) => s.count().await,
            WebStore::Memory(s) => s.count().await,
        }
    }
    async fn remove(&self, id: &str) -> Result<bool> {
        match self {
            WebStore::IndexedDb(s) => s.remove(id).await,
            WebStore::Memory(s) => s.remove(id).await,
        }
    }
    async fn clear(&self) -> Result<()> {
        match self {
            WebStore::IndexedDb(s) => s.clear().await,
            WebStore::Memory(s) => s.clear().await,
        }
    }
    async fn put_all(&self, enrollments: &[Enrollment], replace: bool) -> Result<()> {
        match self {
            WebStore::IndexedDb(s) => s.put_all(enrollments, replace).await,
            WebStore::Memory(s) => s.put_all(enrollments, replace).await,
        }
    }
}
