//! Storage that never lies, in Chromium: attempt limits kept in IndexedDB across a reopen, the
//! version 1 → 3 upgrade keeping records, damaged and foreign records skipped and reported, a
//! blocked upgrade failing in time without leaving a connection, failed writes leaving the
//! previous records intact, and persistent storage requested.
//!
//! Failed writes: a real quota error needs the disk filled up to Chromium's quota (a share of
//! the disk) and the DevTools quota override is not reachable from the test page, so the tests
//! make the browser's own IndexedDB fail the way a full disk does — `IDBObjectStore.put` throwing
//! `QuotaExceededError`, or the writes succeeding and the transaction then aborting (a commit
//! refused for quota) — by wrapping the prototype's methods from the test for a moment. The
//! library runs unchanged (no fault hook in it). A real fault is tested too: another tab
//! upgrading the database closes this tab's connection, and later writes fail.

use super::decisions::{self, locked, read, Faces, LOCKOUT};
use super::{bytes, code_of, get, mirror_of, ok, open, opts, BIDEN, OBAMA, OBAMA_2};
use facegate::{FaceVerifier, Gallery, IndexedDbStore, Pipeline, Rule};
use js_sys::{Array, Function, Promise, Uint8Array};
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;
use web_sys::{Event, IdbDatabase, IdbRequest, IdbTransactionMode};

fn factory() -> web_sys::IdbFactory {
    web_sys::window().unwrap().indexed_db().unwrap().unwrap()
}

/// Runs a piece of JavaScript (a function body) and returns its value.
fn js(body: &str) -> JsValue {
    Function::new_no_args(body).call0(&JsValue::NULL).unwrap()
}

async fn sleep(ms: i32) {
    let done = Promise::new(&mut |resolve, _| {
        web_sys::window().unwrap().set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms).unwrap();
    });
    JsFuture::from(done).await.unwrap();
}

/// The result of a request, or its error.
async fn settle(request: &IdbRequest) -> Result<JsValue, JsValue> {
    let (ok, err) = (request.clone(), request.clone());
    let done = Promise::new(&mut |resolve, reject| {
        let (ok, err) = (ok.clone(), err.clone());
        let on_ok = move |_: Event| drop(resolve.call1(&JsValue::NULL, &ok.result().unwrap()));
        let on_err = move |_: Event| drop(reject.call1(&JsValue::NULL, &err.error().unwrap().unwrap()));
        request.set_onsuccess(Some(Closure::once_into_js(on_ok).unchecked_ref()));
        request.set_onerror(Some(Closure::once_into_js(on_err).unchecked_ref()));
    });
    JsFuture::from(done).await
}

/// Opens `name` with the raw API at `version` (else the current one), creating `stores` (name,
/// key path) when upgrading. It has no `versionchange` handler: like an old tab, it holds on.
async fn raw_open(
    name: &str,
    version: Option<u32>,
    stores: &'static [(&'static str, Option<&'static str>)],
) -> IdbDatabase {
    let request = match version {
        Some(v) => factory().open_with_u32(name, v),
        None => factory().open(name),
    }
    .unwrap();
    let req = request.clone();
    let upgrade = move |_: Event| {
        let db: IdbDatabase = req.result().unwrap().unchecked_into();
        for (store, key_path) in stores {
            let params = web_sys::IdbObjectStoreParameters::new();
            if let Some(k) = key_path {
                params.set_key_path(&(*k).into());
            }
            db.create_object_store_with_optional_parameters(store, &params).unwrap();
        }
    };
    request.set_onupgradeneeded(Some(Closure::once_into_js(upgrade).unchecked_ref()));
    settle(&request).await.unwrap().unchecked_into()
}

/// Writes `value` into `store` in a read-write transaction and waits for the commit.
async fn raw_put(db: &IdbDatabase, store: &str, value: &JsValue) {
    let tx = db.transaction_with_str_and_mode(store, IdbTransactionMode::Readwrite).unwrap();
    settle(&tx.object_store(store).unwrap().put(value).unwrap()).await.unwrap();
    let done = Promise::new(&mut |resolve, _| tx.set_oncomplete(Some(&resolve)));
    JsFuture::from(done).await.unwrap();
}

async fn raw_get(db: &IdbDatabase, store: &str, key: &str) -> JsValue {
    let tx = db.transaction_with_str(store).unwrap();
    settle(&tx.object_store(store).unwrap().get(&key.into()).unwrap()).await.unwrap()
}

/// Deletes a database; `true` when another connection blocked the deletion for a while.
async fn delete_database(name: &str) -> bool {
    let request = factory().delete_database(name).unwrap();
    let blocked = Arc::new(AtomicU64::new(0));
    let seen = blocked.clone();
    let on_blocked = move |_: Event| seen.store(1, std::sync::atomic::Ordering::SeqCst);
    request.set_onblocked(Some(Closure::once_into_js(on_blocked).unchecked_ref()));
    settle(&request).await.unwrap();
    blocked.load(std::sync::atomic::Ordering::SeqCst) == 1
}

/// The records of an export, as stored in IndexedDB.
fn records(exported: &Uint8Array) -> Array {
    let text = String::from_utf8(exported.to_vec()).unwrap();
    get(&js_sys::JSON::parse(&text).unwrap(), "enrollments").into()
}

fn stringify(v: &JsValue) -> String {
    js_sys::JSON::stringify(v).unwrap().as_string().unwrap()
}

/// Each listed entry as `id` or `id!CODE` for a damaged one.
async fn listed(fv: &FaceVerifier) -> Vec<String> {
    let list: Array = ok(fv.list()).await.into();
    list.iter()
        .map(|e| {
            let id = get(&e, "id").as_string().unwrap();
            match get(&e, "code").as_string() {
                Some(code) => {
                    assert!(!get(&e, "damaged").as_string().unwrap().is_empty(), "{}", stringify(&e));
                    assert!(get(&e, "shots").is_undefined());
                    format!("{id}!{code}")
                }
                None => id,
            }
        })
        .collect()
}

async fn message_of(p: Promise) -> (String, String) {
    let err = JsFuture::from(p).await.expect_err("expected a rejection");
    (get(&err, "code").as_string().unwrap(), get(&err, "message").as_string().unwrap())
}

#[wasm_bindgen_test]
async fn failed_verifications_lock_the_id_in_indexeddb_across_a_reopen() {
    let pipeline = Pipeline::new().unwrap();
    let faces = Faces::new(&pipeline);
    let clock = Arc::new(AtomicU64::new(1_700_000_000_000));
    let (sha, at) = (pipeline.model_sha256(), &clock);
    let gallery = move || async move {
        let store = IndexedDbStore::open("facegate-test-lockout").await.unwrap();
        Gallery::new(store, sha, Rule::bundled().unwrap()).unwrap().with_clock(read(at))
    };
    let first = gallery().await;
    first.clear().await.unwrap();
    assert_eq!(decisions::lockout(&first, &faces, &clock).await, LOCKOUT);
    drop(first);
    assert_eq!(locked(gallery().await.verify("obama", &faces.obama_2).await), "LOCKED (30000 ms)");

    // Through the JS API: the options set the policy, the error tells the time left.
    let fv = FaceVerifier::create(opts(&[
        ("storage", "memory".into()),
        ("maxFailures", 2.into()),
        ("lockMs", 60_000.into()),
    ]))
    .await
    .unwrap();
    ok(fv.enroll("obama".into(), bytes(OBAMA))).await;
    for _ in 0..2 {
        assert_eq!(get(&ok(fv.verify("obama".into(), bytes(BIDEN))).await, "isMatch").as_bool(), Some(false));
    }
    let err = JsFuture::from(fv.verify("obama".into(), bytes(OBAMA_2))).await.unwrap_err();
    assert_eq!(get(&err, "code").as_string().as_deref(), Some("LOCKED"));
    let left = get(&err, "retryAfterMs").as_f64().unwrap();
    assert!(left > 55_000.0 && left <= 60_000.0, "{left}");
    let bad = FaceVerifier::create(opts(&[("storage", "memory".into()), ("maxFailures", 0.into())])).await;
    assert_eq!(get(&bad.err().unwrap(), "code").as_string().as_deref(), Some("INVALID_ARGUMENT"));
}

#[wasm_bindgen_test]
async fn a_version_1_database_is_upgraded_keeping_its_records() {
    let name = "facegate-test-v1";
    delete_database(name).await;
    let memory = FaceVerifier::create(opts(&[("storage", "memory".into())])).await.unwrap();
    ok(memory.enroll("obama".into(), bytes(OBAMA))).await;
    let exported: Uint8Array = ok(memory.export_enrollments()).await.into();
    // A database as version 1 of this library left it: one object store, one record.
    let v1 = raw_open(name, Some(1), &[("templates", Some("id"))]).await;
    raw_put(&v1, "templates", &records(&exported).get(0)).await;
    v1.close();

    let fv = FaceVerifier::create(opts(&[("dbName", name.into())])).await.unwrap();
    assert_eq!(listed(&fv).await, ["obama"]);
    assert_eq!(get(&ok(fv.verify("obama".into(), bytes(OBAMA_2))).await, "isMatch").as_bool(), Some(true));
    let raw = raw_open(name, None, &[]).await;
    assert_eq!(raw.version(), 3.0);
    let names = raw.object_store_names();
    assert!(names.contains("templates") && names.contains("attempts") && names.contains("meta"));
    raw.close();
}

#[wasm_bindgen_test]
async fn damaged_and_foreign_records_are_skipped_and_reported() {
    let name = "facegate-test-damaged";
    let fv = open(name).await;
    ok(fv.enroll("obama".into(), bytes(OBAMA))).await;
    ok(fv.enroll("biden".into(), bytes(BIDEN))).await;
    let exported: Uint8Array = ok(fv.export_enrollments()).await.into();
    let alien = records(&exported).get(0);
    js_sys::Reflect::set(&alien, &"id".into(), &"alien".into()).unwrap();
    js_sys::Reflect::set(&alien, &"modelSha256".into(), &"0".repeat(64).into()).unwrap();
    let db = raw_open(name, None, &[]).await;
    raw_put(&db, "templates", &alien).await;
    raw_put(&db, "templates", &js("return { id: 'broken', format: 1, shots: 'not shots' };")).await;
    raw_put(&db, "templates", &js("return { id: 'future', format: 9, anything: true };")).await;
    db.close();

    let expected = ["alien!MODEL_MISMATCH", "biden", "broken!INVALID_TEMPLATE", "future!INVALID_TEMPLATE", "obama"];
    assert_eq!(listed(&fv).await, expected);
    // Everybody else verifies and identifies; each damaged id fails alone.
    assert_eq!(get(&ok(fv.verify("obama".into(), bytes(OBAMA_2))).await, "isMatch").as_bool(), Some(true));
    let who: Array = ok(fv.identify(mirror_of(BIDEN), None)).await.into();
    assert_eq!(get(&who.get(0), "id").as_string().as_deref(), Some("biden"));
    assert_eq!(code_of(fv.verify("broken".into(), bytes(OBAMA_2))).await, "INVALID_TEMPLATE");
    assert_eq!(code_of(fv.verify("alien".into(), bytes(OBAMA_2))).await, "MODEL_MISMATCH");
    // An export holds the usable enrollments only.
    let usable: Uint8Array = ok(fv.export_enrollments()).await.into();
    assert_eq!(records(&usable).length(), 2);
    for id in ["broken", "alien", "future"] {
        assert_eq!(ok(fv.remove(id.into())).await.as_bool(), Some(true), "{id}");
    }
    assert_eq!(listed(&fv).await, ["biden", "obama"]);
}

#[wasm_bindgen_test]
async fn a_blocked_upgrade_fails_within_5_s_and_leaves_no_connection() {
    let name = "facegate-test-blocked";
    delete_database(name).await;
    // Another tab with version 1 open, which never closes on `versionchange`.
    let old_tab = raw_open(name, Some(1), &[("templates", Some("id"))]).await;
    let perf = web_sys::window().unwrap().performance().unwrap();
    let start = perf.now();
    let err = FaceVerifier::create(opts(&[("dbName", name.into())])).await.err().unwrap();
    let elapsed = perf.now() - start;
    assert_eq!(get(&err, "code").as_string().as_deref(), Some("STORAGE"));
    let message = get(&err, "message").as_string().unwrap();
    assert!(message.contains("blocked by another tab"), "{message}");
    assert!(elapsed < 5000.0, "create failed after {elapsed:.0} ms");
    console_log!("blocked open failed after {elapsed:.0} ms");

    // When the old tab closes, the abandoned open gets through: it must neither upgrade the
    // database nor keep a connection (which would block the deletion below).
    old_tab.close();
    sleep(200).await;
    let raw = raw_open(name, None, &[]).await;
    assert_eq!(raw.version(), 1.0, "the abandoned upgrade was aborted");
    raw.close();
    assert!(!delete_database(name).await, "no connection left open");
    let fv = FaceVerifier::create(opts(&[("dbName", name.into())])).await.unwrap();
    assert_eq!(listed(&fv).await.len(), 0);
}

#[wasm_bindgen_test]
async fn a_failed_write_leaves_the_previous_records_intact() {
    let name = "facegate-test-faults";
    let fv = open(name).await;
    ok(fv.enroll("obama".into(), bytes(OBAMA))).await;
    ok(fv.enroll("biden".into(), bytes(BIDEN))).await;
    let before = stringify(&ok(fv.list()).await);
    let exported: Uint8Array = ok(fv.export_enrollments()).await.into();
    let replace = || opts(&[("mode", "replace".into())]);
    js("globalThis.facegateOriginal = { put: IDBObjectStore.prototype.put, delete: IDBObjectStore.prototype.delete, \
        clear: IDBObjectStore.prototype.clear };");
    let restore = || {
        js("Object.assign(IDBObjectStore.prototype, globalThis.facegateOriginal);");
    };

    // A write refused for quota: the error carries the cause; an import that had already
    // cleared the store is rolled back.
    js("IDBObjectStore.prototype.put = function () { throw new DOMException('test: disk full', 'QuotaExceededError'); };");
    let (code, message) = message_of(fv.enroll("obama".into(), mirror_of(OBAMA))).await;
    let import = message_of(fv.import_enrollments(exported.clone(), replace())).await;
    restore();
    assert_eq!(code, "STORAGE");
    assert!(message.contains("QuotaExceededError: test: disk full"), "{message}");
    assert_eq!(import.0, "STORAGE", "{}", import.1);
    assert_eq!(stringify(&ok(fv.list()).await), before);

    // Writes that succeed in a transaction that then aborts, as a commit refused for quota.
    for method in ["put", "delete", "clear"] {
        js(&format!(
            "IDBObjectStore.prototype.{method} = function (...args) {{ \
               const request = globalThis.facegateOriginal.{method}.apply(this, args); \
               request.addEventListener('success', () => this.transaction.abort()); return request; }};"
        ));
    }
    let failures = [
        message_of(fv.enroll("obama".into(), mirror_of(OBAMA))).await,
        message_of(fv.remove("biden".into())).await,
        message_of(fv.clear()).await,
        message_of(fv.import_enrollments(exported.clone(), replace())).await,
    ];
    restore();
    for (code, message) in &failures {
        assert_eq!(code, "STORAGE", "{message}");
        assert!(message.contains("abort"), "{message}");
    }
    assert_eq!(stringify(&ok(fv.list()).await), before);

    // A real fault: another tab upgrades the database, which closes this tab's connection.
    let newer = raw_open(name, Some(4), &[]).await;
    let (code, message) = message_of(fv.enroll("obama".into(), mirror_of(OBAMA))).await;
    assert_eq!(code, "STORAGE");
    assert!(message.contains("InvalidStateError"), "{message}");
    let obama = raw_get(&newer, "templates", "obama").await;
    assert_eq!(Array::from(&get(&obama, "shots")).length(), 1, "the stored record is unchanged");
    newer.close();
    delete_database(name).await;
}

#[wasm_bindgen_test]
async fn persistent_storage_is_requested_for_indexeddb() {
    let fv = FaceVerifier::create(opts(&[("dbName", "facegate-test-persisted".into())])).await.unwrap();
    let asked = fv.persisted().as_bool().expect("Chromium answers navigator.storage.persist()");
    let now = JsFuture::from(Promise::from(js("return navigator.storage.persisted();"))).await.unwrap();
    assert_eq!(Some(asked), now.as_bool());
    console_log!("navigator.storage.persist() at create: {asked}");
    let memory = FaceVerifier::create(opts(&[("storage", "memory".into())])).await.unwrap();
    assert!(memory.persisted().is_null());
}

/// Starts `verify(id, source)` on each verifier `times` times without waiting, then settles all:
/// `"match: false"`, `"match: true"` or the error code, per call.
async fn at_once(verifiers: &[&FaceVerifier], times: usize, id: &str, source: &[u8]) -> Vec<String> {
    let calls: Array =
        (0..times).flat_map(|_| verifiers.iter().map(|fv| fv.verify(id.into(), bytes(source)))).collect();
    let settled = JsFuture::from(Promise::all_settled(&calls)).await.unwrap();
    Array::from(&settled)
        .iter()
        .map(|s| match get(&s, "status").as_string().as_deref() {
            Some("fulfilled") => format!("match: {}", get(&get(&s, "value"), "isMatch").as_bool().unwrap()),
            _ => get(&get(&s, "reason"), "code").as_string().unwrap(),
        })
        .collect()
}

fn tally(results: &[String]) -> (usize, usize) {
    let count = |r: &str| results.iter().filter(|x| x.as_str() == r).count();
    (count("match: false"), count("LOCKED"))
}

#[wasm_bindgen_test]
async fn concurrent_tries_cannot_skip_the_lockout_or_lose_shots_in_indexeddb() {
    let name = "facegate-test-concurrent";
    let fv = open(name).await;
    ok(fv.enroll("obama".into(), bytes(OBAMA))).await;
    let results = at_once(&[&fv], 20, "obama", BIDEN).await;
    assert_eq!(tally(&results), (5, 15), "exactly 5 failures counted, then LOCKED: {results:?}");

    // Two connections to one database (as two tabs or a page and its worker), 10 tries each.
    let other = FaceVerifier::create(opts(&[("dbName", name.into())])).await.unwrap();
    ok(fv.clear()).await;
    ok(fv.enroll("obama".into(), bytes(OBAMA))).await;
    let results = at_once(&[&fv, &other], 10, "obama", BIDEN).await;
    assert_eq!(tally(&results), (5, 15), "two connections: {results:?}");

    // Ten shots of one id at once, from both connections: none lost.
    ok(fv.clear()).await;
    let shots: Array = (0..10)
        .map(|i| [&fv, &other][i % 2].enroll("obama".into(), if i % 2 == 0 { bytes(OBAMA) } else { mirror_of(OBAMA) }))
        .collect();
    JsFuture::from(Promise::all(&shots)).await.unwrap();
    let listed = Array::from(&ok(fv.list()).await);
    assert_eq!(get(&listed.get(0), "shots").as_f64(), Some(10.0));

    // No id reaches sign-in's lock: removing "" does not clear it.
    let signing = FaceVerifier::create(opts(&[("dbName", name.into()), ("maxFailures", 1.into())])).await.unwrap();
    let stranger = opts(&[("steps", Array::of2(&"turnLeft".into(), &"blink".into()).into()), ("timeoutMs", 50.into())]);
    let camera = js("return { frame: () => new Promise(() => {}) };"); // a camera that never delivers
    assert_eq!(
        JsFuture::from(signing.identify_live(camera.clone(), stranger.clone()))
            .await
            .ok()
            .map(|r| get(&r, "isLive").as_bool()),
        Some(Some(false))
    );
    assert_eq!(code_of(signing.identify_live(camera.clone(), stranger.clone())).await, "LOCKED");
    assert_eq!(ok(signing.remove(String::new())).await.as_bool(), Some(false));
    assert_eq!(code_of(signing.identify_live(camera, stranger)).await, "LOCKED");
    ok(fv.clear()).await;
}
