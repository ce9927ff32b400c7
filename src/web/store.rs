//! The browser's [`Store`]s: IndexedDB (the raw web-sys API: every request's and transaction's
//! outcome is observed, nothing is assumed), or memory only.
//!
//! IndexedDB never lies here: each call is one transaction that commits all its writes or none
//! (a failing request aborts it; an abort at commit, e.g. `QuotaExceededError`, is a `STORAGE`
//! error with the browser's cause); an unreadable record is reported, not fatal to the others;
//! an open blocked by another tab fails within [`BLOCKED_MS`] without leaving a connection behind.

use super::error::describe;
use crate::attempts::{AttemptKey, Attempts};
use crate::error::{Error, Result};
use crate::store::{check_id_count, Damaged, Loaded, MemoryStore, Store};
use crate::template::Enrollment;
use serde::Serialize;
use std::cell::Cell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Event, EventTarget, IdbDatabase, IdbObjectStore, IdbRequest, IdbTransaction, IdbTransactionMode};

/// Object store holding the enrollments (key path `id`).
const TEMPLATES: &str = "templates";
/// Key path of [`TEMPLATES`].
const TEMPLATES_KEY_PATH: &str = "id";
/// Object store holding attempt state (out-of-line keys: [`AttemptKey::storage_key`]; records
/// under the bare ids of versions before it are never read).
const ATTEMPTS: &str = "attempts";
/// Object store holding the enrollments' revision (key [`REVISION`]), written with them.
const META: &str = "meta";
/// Key of the revision in [`META`]: a random number drawn at every write of enrollments.
const REVISION: &str = "revision";
/// IndexedDB schema version. Version 1 created `templates`; version 2 adds `attempts`, version 3
/// `meta`. An upgrade only creates the stores that are missing, so existing records survive.
const DB_VERSION: u32 = 3;
/// How long an open may wait for other connections (other tabs at an older version) to close
/// before it fails.
const BLOCKED_MS: i32 = 3000;
/// Why a blocked open failed.
const BLOCKED: &str = "blocked by another tab holding an older version of the database open — close other tabs of \
                       this site and retry";

#[wasm_bindgen]
extern "C" {
    /// The global `setTimeout` (windows and workers).
    #[wasm_bindgen(js_name = setTimeout)]
    pub(crate) fn set_timeout(callback: &JsValue, ms: i32) -> JsValue;
}

/// A `STORAGE` error: what failed and the browser's exception (`QuotaExceededError: ...`).
fn storage(what: &str, e: &JsValue) -> Error {
    Error::Storage(format!("IndexedDB {what}: {}", describe(e)))
}

/// Calls `f`, turning a thrown exception into a `STORAGE` error about `what`.
fn call<T>(what: &str, f: impl FnOnce() -> std::result::Result<T, JsValue>) -> Result<T> {
    f().map_err(|e| storage(what, &e))
}

/// Listens for the first of some events on a target until dropped (the listener is removed on
/// drop, so an abandoned wait leaves nothing behind).
struct Listener {
    target: EventTarget,
    kinds: &'static [&'static str],
    callback: Closure<dyn FnMut(Event)>,
    fired: js_sys::Promise,
}

impl Listener {
    /// Starts listening now (before any event of `target` can be dispatched).
    fn new(target: &EventTarget, kinds: &'static [&'static str]) -> Result<Listener> {
        let mut resolver = None;
        let fired = js_sys::Promise::new(&mut |resolve, _| resolver = Some(resolve));
        let resolve = resolver.ok_or_else(|| Error::Storage("Promise executor did not run".into()))?;
        let callback = Closure::<dyn FnMut(Event)>::new(move |event: Event| {
            // Resolving an already resolved promise does nothing.
            let _ = resolve.call1(&JsValue::NULL, &event.type_().into());
        });
        for kind in kinds {
            call("listen", || target.add_event_listener_with_callback(kind, callback.as_ref().unchecked_ref()))?;
        }
        Ok(Listener { target: target.clone(), kinds, callback, fired })
    }

    /// The type of the first event.
    async fn next(&self) -> Result<String> {
        let kind = JsFuture::from(self.fired.clone()).await.map_err(|e| storage("event", &e))?;
        Ok(kind.as_string().unwrap_or_default())
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        for kind in self.kinds {
            let _ = self.target.remove_event_listener_with_callback(kind, self.callback.as_ref().unchecked_ref());
        }
    }
}

/// Waits for a request made by `make`: its result, or `STORAGE` with its error.
async fn request(what: &str, make: impl FnOnce() -> std::result::Result<IdbRequest, JsValue>) -> Result<JsValue> {
    let request = call(what, make)?;
    let listener = Listener::new(&request, &["success", "error"])?;
    if listener.next().await? == "success" {
        call(what, || request.result())
    } else {
        Err(storage(what, &request.error().ok().flatten().map_or(JsValue::NULL, JsValue::from)))
    }
}

/// Serialises a value as a plain JS object.
fn to_js(value: &impl Serialize) -> Result<JsValue> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::new().serialize_maps_as_objects(true))
        .map_err(|e| Error::Storage(format!("IndexedDB: {e}")))
}

fn from_js(value: JsValue) -> Result<Enrollment> {
    serde_wasm_bindgen::from_value(value).map_err(|e| Error::InvalidTemplate(format!("stored record: {e}")))
}

/// A count request's result.
fn count_of(value: &JsValue) -> Result<usize> {
    value.as_f64().map(|n| n as usize).ok_or_else(|| Error::Storage(format!("IndexedDB count: {value:?}")))
}

/// A key as the id it stands for.
fn key_name(key: &JsValue) -> String {
    key.as_string()
        .or_else(|| js_sys::JSON::stringify(key).ok().and_then(|s| s.as_string()))
        .unwrap_or_else(|| format!("{key:?}"))
}

/// Enrollments and attempt state in an IndexedDB database (the browser's persistent [`Store`]).
pub struct IndexedDbStore {
    db: IdbDatabase,
    /// Closes the connection when another one asks for a version change (so this one never
    /// blocks another tab's upgrade or deletion); later calls then fail with `STORAGE`.
    _on_version_change: Closure<dyn FnMut(Event)>,
}

impl Drop for IndexedDbStore {
    fn drop(&mut self) {
        self.db.set_onversionchange(None);
        self.db.close();
    }
}

impl IndexedDbStore {
    /// Opens (creating or upgrading) the database `name`; `STORAGE` when it cannot be opened: a
    /// newer schema version, or an upgrade blocked for 3 s by another tab holding an
    /// older version open (an open given up on is aborted when it gets through: no connection
    /// is left behind and nothing is upgraded).
    pub async fn open(name: &str) -> Result<IndexedDbStore> {
        let db = open_database(name).await?;
        let closing = db.clone();
        let on_version_change = Closure::<dyn FnMut(Event)>::new(move |_: Event| closing.close());
        db.set_onversionchange(Some(on_version_change.as_ref().unchecked_ref()));
        Ok(IndexedDbStore { db, _on_version_change: on_version_change })
    }

    /// Runs `body` in one transaction over `stores`. When it returns `Ok` this waits for the
    /// commit (`STORAGE` with the cause if the transaction aborts instead); when it returns
    /// `Err` the transaction is aborted, so none of its writes stays.
    async fn transact<T, F>(
        &self,
        stores: &[&str],
        mode: IdbTransactionMode,
        body: impl FnOnce(IdbTransaction) -> F,
    ) -> Result<T>
    where
        F: std::future::Future<Output = Result<T>>,
    {
        let names: js_sys::Array = stores.iter().map(|s| JsValue::from(*s)).collect();
        let tx = call("transaction", || self.db.transaction_with_str_sequence_and_mode(&names, mode))?;
        let end = Listener::new(&tx, &["complete", "abort"])?;
        let out = match body(tx.clone()).await {
            Err(e) if tx.abort().is_ok() => return Err(e),
            // Aborting fails only when the transaction has ended: its end tells what happened.
            out => out,
        };
        if end.next().await? == "complete" {
            return out;
        }
        Err(match tx.error() {
            Some(cause) => storage("transaction aborted, nothing was written", &cause.into()),
            None => Error::Storage("IndexedDB: the transaction was aborted; nothing was written".into()),
        })
    }
}

fn object_store(tx: &IdbTransaction, name: &str) -> Result<IdbObjectStore> {
    call("object store", || tx.object_store(name))
}

/// Marks the enrollments changed in `tx` (which covers [`META`]): a new random revision.
async fn bump_revision(tx: &IdbTransaction) -> Result<()> {
    let mut bytes = [0u8; 6]; // within a JS number's exact integers
    getrandom::fill(&mut bytes).map_err(|e| Error::Storage(format!("no random source: {e}")))?;
    let revision = bytes.iter().fold(0u64, |acc, &b| acc << 8 | u64::from(b)) as f64;
    let meta = object_store(tx, META)?;
    request("write", || meta.put_with_key(&revision.into(), &REVISION.into())).await?;
    Ok(())
}

impl Store for IndexedDbStore {
    async fn load(&self) -> Result<Loaded> {
        self.transact(&[TEMPLATES], IdbTransactionMode::Readonly, |tx| async move {
            let store = object_store(&tx, TEMPLATES)?;
            let keys = js_sys::Array::from(&request("read keys", || store.get_all_keys()).await?);
            let values = js_sys::Array::from(&request("read", || store.get_all()).await?);
            let mut loaded = Loaded::default();
            for (key, value) in keys.iter().zip(values.iter()) {
                match from_js(value) {
                    Ok(e) => loaded.enrollments.push(e),
                    Err(e) => loaded.damaged.push(Damaged::new(key_name(&key), &e)),
                }
            }
            Ok(loaded)
        })
        .await
    }

    async fn get(&self, id: &str) -> Result<Option<Enrollment>> {
        let value = self
            .transact(&[TEMPLATES], IdbTransactionMode::Readonly, |tx| async move {
                let store = object_store(&tx, TEMPLATES)?;
                request("read", || store.get(&id.into())).await
            })
            .await?;
        (!value.is_undefined()).then(|| from_js(value)).transpose()
    }

    async fn put(&self, enrollment: &Enrollment) -> Result<()> {
        self.put_all(std::slice::from_ref(enrollment), false, usize::MAX).await
    }

    async fn update_enrollment(
        &self,
        id: &str,
        change: impl FnOnce(Option<Enrollment>, usize) -> Result<Enrollment>,
    ) -> Result<Enrollment> {
        self.transact(&[TEMPLATES, META], IdbTransactionMode::Readwrite, |tx| async move {
            let store = object_store(&tx, TEMPLATES)?;
            let value = request("read", || store.get(&id.into())).await?;
            let old = (!value.is_undefined()).then(|| from_js(value)).transpose()?;
            let ids = count_of(&request("count", || store.count()).await?)?;
            let enrollment = change(old, ids)?;
            let value = to_js(&enrollment)?;
            request("write", || store.put(&value)).await?;
            bump_revision(&tx).await?;
            Ok(enrollment)
        })
        .await
    }

    async fn count(&self) -> Result<usize> {
        let count = self
            .transact(&[TEMPLATES], IdbTransactionMode::Readonly, |tx| async move {
                let store = object_store(&tx, TEMPLATES)?;
                request("count", || store.count()).await
            })
            .await?;
        count_of(&count)
    }

    async fn remove(&self, id: &str) -> Result<bool> {
        self.transact(&[TEMPLATES, ATTEMPTS, META], IdbTransactionMode::Readwrite, |tx| async move {
            let templates = object_store(&tx, TEMPLATES)?;
            let existed = count_of(&request("count", || templates.count_with_key(&id.into())).await?)? > 0;
            request("delete", || templates.delete(&id.into())).await?;
            bump_revision(&tx).await?;
            let attempts = object_store(&tx, ATTEMPTS)?;
            let key = AttemptKey::Id(id).storage_key();
            request("delete", || attempts.delete(&key.into())).await?;
            Ok(existed)
        })
        .await
    }

    async fn clear(&self) -> Result<()> {
        self.transact(&[TEMPLATES, ATTEMPTS, META], IdbTransactionMode::Readwrite, |tx| async move {
            for name in [TEMPLATES, ATTEMPTS] {
                let store = object_store(&tx, name)?;
                request("clear", || store.clear()).await?;
            }
            bump_revision(&tx).await
        })
        .await
    }

    async fn put_all(&self, enrollments: &[Enrollment], replace: bool, max_ids: usize) -> Result<()> {
        let values = enrollments.iter().map(to_js).collect::<Result<Vec<_>>>()?;
        let ids: Vec<String> = enrollments.iter().map(|e| e.id().to_owned()).collect();
        self.transact(&[TEMPLATES, META], IdbTransactionMode::Readwrite, |tx| async move {
            let store = object_store(&tx, TEMPLATES)?;
            // The cap is checked in the transaction that writes: no enroll can slip in between.
            let kept = match replace {
                true => Vec::new(),
                false => js_sys::Array::from(&request("read keys", || store.get_all_keys()).await?)
                    .iter()
                    .filter_map(|key| key.as_string())
                    .collect(),
            };
            check_id_count(kept.iter().chain(&ids).map(String::as_str), max_ids)?;
            if replace {
                request("clear", || store.clear()).await?;
            }
            for value in &values {
                request("write", || store.put(value)).await?;
            }
            bump_revision(&tx).await
        })
        .await
    }

    async fn revision(&self) -> Result<u64> {
        let value = self
            .transact(&[META], IdbTransactionMode::Readonly, |tx| async move {
                let meta = object_store(&tx, META)?;
                request("read", || meta.get(&REVISION.into())).await
            })
            .await?;
        Ok(value.as_f64().map_or(0, |v| v as u64))
    }

    async fn attempts(&self, key: AttemptKey<'_>) -> Result<Attempts> {
        let key = key.storage_key();
        self.transact(&[ATTEMPTS], IdbTransactionMode::Readonly, |tx| async move {
            let store = object_store(&tx, ATTEMPTS)?;
            attempts_from(request("read", || store.get(&key.as_str().into())).await?, &key)
        })
        .await
    }

    async fn update_attempts(
        &self,
        key: AttemptKey<'_>,
        change: impl FnOnce(Attempts) -> Result<Attempts>,
    ) -> Result<Attempts> {
        let key = key.storage_key();
        self.transact(&[ATTEMPTS], IdbTransactionMode::Readwrite, |tx| async move {
            let store = object_store(&tx, ATTEMPTS)?;
            let before = attempts_from(request("read", || store.get(&key.as_str().into())).await?, &key)?;
            let after = change(before)?;
            if after == Attempts::default() {
                request("delete", || store.delete(&key.as_str().into())).await?;
            } else if after != before {
                let value = to_js(&after)?;
                request("write", || store.put_with_key(&value, &key.as_str().into())).await?;
            }
            Ok(after)
        })
        .await
    }
}

/// A stored attempt record (`undefined`: none, the default state).
fn attempts_from(value: JsValue, key: &str) -> Result<Attempts> {
    if value.is_undefined() {
        return Ok(Attempts::default());
    }
    serde_wasm_bindgen::from_value(value)
        .map_err(|e| Error::Storage(format!("IndexedDB: the attempt record {key:?} is unreadable: {e}")))
}

/// Opens `name` at [`DB_VERSION`], creating the missing object stores. Gives up when the open
/// stays blocked for [`BLOCKED_MS`]; the request then still completes some day, and its handlers
/// abort the upgrade (so nothing changes) or close the connection.
async fn open_database(name: &str) -> Result<IdbDatabase> {
    let factory: web_sys::IdbFactory = js_sys::Reflect::get(&js_sys::global(), &"indexedDB".into())
        .ok()
        .and_then(|f| f.dyn_into().ok())
        .ok_or_else(|| Error::Storage("IndexedDB is not available in this context".into()))?;
    let request = call("open", || factory.open_with_u32(name, DB_VERSION))?;
    let abandoned = Rc::new(Cell::new(false));
    let (mut resolver, mut rejecter) = (None, None);
    let opened = js_sys::Promise::new(&mut |resolve, reject| {
        resolver = Some(resolve);
        rejecter = Some(reject);
    });
    let (Some(resolve), Some(reject)) = (resolver, rejecter) else {
        return Err(Error::Storage("Promise executor did not run".into()));
    };

    // The handlers outlive this function when it gives up: each runs at most once, and frees
    // itself when it does (`once_into_js`).
    let (req, given_up) = (request.clone(), abandoned.clone());
    request.set_onupgradeneeded(Some(
        Closure::once_into_js(move |_: Event| {
            let Some(tx) = req.transaction() else { return };
            if given_up.get() {
                let _ = tx.abort();
                return;
            }
            let created = req.result().and_then(|db| {
                let db: IdbDatabase = db.unchecked_into();
                let names = db.object_store_names();
                if !names.contains(TEMPLATES) {
                    let params = web_sys::IdbObjectStoreParameters::new();
                    params.set_key_path(&TEMPLATES_KEY_PATH.into());
                    db.create_object_store_with_optional_parameters(TEMPLATES, &params)?;
                }
                for name in [ATTEMPTS, META] {
                    if !names.contains(name) {
                        db.create_object_store(name)?;
                    }
                }
                Ok(())
            });
            if created.is_err() {
                let _ = tx.abort();
            }
        })
        .unchecked_ref(),
    ));
    let (req, given_up, ok) = (request.clone(), abandoned.clone(), resolve.clone());
    request.set_onsuccess(Some(
        Closure::once_into_js(move |_: Event| {
            let Ok(db) = req.result() else { return };
            if given_up.get() {
                db.unchecked_into::<IdbDatabase>().close();
            } else {
                let _ = ok.call1(&JsValue::NULL, &db);
            }
        })
        .unchecked_ref(),
    ));
    let (req, fail) = (request.clone(), reject.clone());
    request.set_onerror(Some(
        Closure::once_into_js(move |_: Event| {
            let error = req.error().ok().flatten().map_or(JsValue::NULL, JsValue::from);
            let _ = fail.call1(&JsValue::NULL, &JsValue::from_str(&describe(&error)));
        })
        .unchecked_ref(),
    ));
    let given_up = abandoned;
    request.set_onblocked(Some(
        Closure::once_into_js(move |_: Event| {
            let give_up = Closure::once_into_js(move || {
                given_up.set(true);
                let _ = reject.call1(&JsValue::NULL, &JsValue::from_str(BLOCKED));
            });
            set_timeout(&give_up, BLOCKED_MS);
        })
        .unchecked_ref(),
    ));
    let db = JsFuture::from(opened)
        .await
        .map_err(|e| Error::Storage(format!("IndexedDB open {name:?}: {}", describe(&e))))?;
    Ok(db.unchecked_into())
}

/// The store a `FaceVerifier` was created with (`storage: "indexeddb" | "memory"`).
pub(crate) enum WebStore {
    IndexedDb(IndexedDbStore),
    Memory(MemoryStore),
}

/// Forwards a [`Store`] method to the store in use.
macro_rules! forward {
    ($self:ident, $s:ident => $call:expr) => {
        match $self {
            WebStore::IndexedDb($s) => $call.await,
            WebStore::Memory($s) => $call.await,
        }
    };
}

impl Store for WebStore {
    async fn load(&self) -> Result<Loaded> {
        forward!(self, s => s.load())
    }
    async fn get(&self, id: &str) -> Result<Option<Enrollment>> {
        forward!(self, s => s.get(id))
    }
    async fn put(&self, enrollment: &Enrollment) -> Result<()> {
        forward!(self, s => s.put(enrollment))
    }
    async fn update_enrollment(
        &self,
        id: &str,
        change: impl FnOnce(Option<Enrollment>, usize) -> Result<Enrollment>,
    ) -> Result<Enrollment> {
        forward!(self, s => s.update_enrollment(id, change))
    }
    async fn count(&self) -> Result<usize> {
        forward!(self, s => s.count())
    }
    async fn remove(&self, id: &str) -> Result<bool> {
        forward!(self, s => s.remove(id))
    }
    async fn clear(&self) -> Result<()> {
        forward!(self, s => s.clear())
    }
    async fn put_all(&self, enrollments: &[Enrollment], replace: bool, max_ids: usize) -> Result<()> {
        forward!(self, s => s.put_all(enrollments, replace, max_ids))
    }
    async fn revision(&self) -> Result<u64> {
        forward!(self, s => s.revision())
    }
    async fn attempts(&self, key: AttemptKey<'_>) -> Result<Attempts> {
        forward!(self, s => s.attempts(key))
    }
    async fn update_attempts(
        &self,
        key: AttemptKey<'_>,
        change: impl FnOnce(Attempts) -> Result<Attempts>,
    ) -> Result<Attempts> {
        forward!(self, s => s.update_attempts(key, change))
    }
}
