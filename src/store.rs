//! Where enrollments are kept: a small [`Store`] trait (load, get, count, put one id, remove, clear,
//! and the attempt state of each id) with an in-memory store and a gallery-file store here, and
//! IndexedDB in the browser layer. Stores only keep [`Enrollment`]s and [`Attempts`]; every check
//! and decision is the [`crate::Gallery`]'s.

use crate::attempts::{AttemptKey, Attempts};
use crate::error::{Error, ErrorCode, Result};
use crate::template::Enrollment;
use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};

/// A stored record that is not used: unreadable (damaged or of an unknown format,
/// `INVALID_TEMPLATE`), or made by another embedding model (`MODEL_MISMATCH`). It can still be
/// removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Damaged {
    /// The record's id (its key).
    pub id: String,
    /// The error its use would give.
    pub code: ErrorCode,
    /// Why it is not used, in words.
    pub reason: String,
}

impl Damaged {
    /// The record `id`, not used because of `error`.
    pub fn new(id: impl Into<String>, error: &Error) -> Self {
        Damaged { id: id.into(), code: error.code(), reason: error.to_string() }
    }
}

/// What a store holds: the readable enrollments and the records that could not be read, each in
/// id order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Loaded {
    /// The readable enrollments.
    pub enrollments: Vec<Enrollment>,
    /// The records left out, with the reason.
    pub damaged: Vec<Damaged>,
}

/// Storage of enrollments and attempt state by id. Methods are `async` because IndexedDB is; the
/// memory and file stores complete at once (drive them with any executor, e.g.
/// `pollster::block_on`). A write that returns `Ok` has happened, and a failed write leaves the
/// previous records as they were: stores report failures as `STORAGE` errors.
///
/// The `update_*` methods are each one atomic read-decide-write: no other change to the store
/// comes between their read and their write (a lock in the memory and file stores; one readwrite
/// transaction in IndexedDB, which the browser serialises across tabs and workers of an origin),
/// so concurrent calls cannot overwrite each other's counts or shots.
#[allow(async_fn_in_trait)] // used through generics; the browser's futures are not `Send`
pub trait Store {
    /// Every record, in id order: the readable enrollments and the unreadable ones reported.
    async fn load(&self) -> Result<Loaded>;
    /// The enrollment of `id`, if any (`INVALID_TEMPLATE` when its record is unreadable).
    async fn get(&self, id: &str) -> Result<Option<Enrollment>>;
    /// Writes `enrollment`, replacing any with the same id.
    async fn put(&self, enrollment: &Enrollment) -> Result<()>;
    /// Atomically: reads the enrollment of `id` (`INVALID_TEMPLATE` when unreadable) and the
    /// number of records, and writes what `change` makes of them; nothing is written when
    /// `change` fails. Returns what was written.
    async fn update_enrollment(
        &self,
        id: &str,
        change: impl FnOnce(Option<Enrollment>, usize) -> Result<Enrollment>,
    ) -> Result<Enrollment>;
    /// How many records there are (damaged ones included).
    async fn count(&self) -> Result<usize>;
    /// Deletes the record of `id` (readable or not) and the attempt state of
    /// [`AttemptKey::Id`]`(id)`; `false` when there was no record.
    async fn remove(&self, id: &str) -> Result<bool>;
    /// Deletes every record and all attempt state.
    async fn clear(&self) -> Result<()>;
    /// Atomically: writes several enrollments (after deleting all other records when
    /// `replace`), all or nothing, refusing (`INVALID_TEMPLATE`, nothing written) when the
    /// records would then hold more than `max_ids` ids (damaged ones included). Attempt state is
    /// kept.
    async fn put_all(&self, enrollments: &[Enrollment], replace: bool, max_ids: usize) -> Result<()>;
    /// A token that changes with every write of enrollments, through this store or any other
    /// handle on the same data: while it is unchanged, whatever was derived from [`Store::load`]
    /// still holds (a gallery caches its templates by it).
    async fn revision(&self) -> Result<u64>;
    /// The attempt state of `key` (the default when none is stored).
    async fn attempts(&self, key: AttemptKey<'_>) -> Result<Attempts>;
    /// Atomically: reads the attempt state of `key` and stores what `change` makes of it (the
    /// default state deletes it); nothing is written when `change` fails. Returns the new state.
    async fn update_attempts(
        &self,
        key: AttemptKey<'_>,
        change: impl FnOnce(Attempts) -> Result<Attempts>,
    ) -> Result<Attempts>;
}

/// A revision no store of this process has given out (see [`Store::revision`]).
fn fresh_revision() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

/// `INVALID_TEMPLATE` when a write would leave more than `max_ids` of `ids` (distinct or not).
pub(crate) fn check_id_count<'a>(ids: impl Iterator<Item = &'a str>, max_ids: usize) -> Result<()> {
    let count = ids.collect::<std::collections::BTreeSet<_>>().len();
    if count > max_ids {
        return Err(crate::Error::InvalidTemplate(format!(
            "the import would make {count} ids, more than the maximum of {max_ids}"
        )));
    }
    Ok(())
}

/// Both maps a store keeps, and the revision of the enrollments (the memory store's).
#[derive(Debug, Default)]
struct Maps {
    enrollments: BTreeMap<String, Enrollment>,
    attempts: BTreeMap<String, Attempts>,
    revision: u64,
}

impl Maps {
    fn put_all(&mut self, enrollments: &[Enrollment], replace: bool, max_ids: usize) -> Result<()> {
        let kept = self.enrollments.keys().map(String::as_str).filter(|_| !replace);
        check_id_count(kept.chain(enrollments.iter().map(Enrollment::id)), max_ids)?;
        if replace {
            self.enrollments.clear();
        }
        self.enrollments.extend(enrollments.iter().map(|e| (e.id().to_owned(), e.clone())));
        self.revision = fresh_revision();
        Ok(())
    }

    fn clear(&mut self) {
        *self = Maps { revision: fresh_revision(), ..Maps::default() };
    }

    fn update_enrollment(
        &mut self,
        id: &str,
        change: impl FnOnce(Option<Enrollment>, usize) -> Result<Enrollment>,
    ) -> Result<Enrollment> {
        let enrollment = change(self.enrollments.get(id).cloned(), self.enrollments.len())?;
        self.enrollments.insert(enrollment.id().to_owned(), enrollment.clone());
        self.revision = fresh_revision();
        Ok(enrollment)
    }

    fn attempts(&self, key: AttemptKey<'_>) -> Attempts {
        self.attempts.get(&key.storage_key()).copied().unwrap_or_default()
    }

    fn update_attempts(
        &mut self,
        key: AttemptKey<'_>,
        change: impl FnOnce(Attempts) -> Result<Attempts>,
    ) -> Result<Attempts> {
        let after = change(self.attempts(key))?;
        if after == Attempts::default() {
            self.attempts.remove(&key.storage_key());
        } else {
            self.attempts.insert(key.storage_key(), after);
        }
        Ok(after)
    }

    fn remove(&mut self, id: &str) -> bool {
        self.attempts.remove(&AttemptKey::Id(id).storage_key());
        self.revision = fresh_revision();
        self.enrollments.remove(id).is_some()
    }
}

/// Enrollments in memory only: for tests and for apps that keep the data elsewhere (see
/// [`crate::Gallery::export`]).
#[derive(Debug, Default)]
pub struct MemoryStore {
    maps: Mutex<Maps>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn maps(&self) -> MutexGuard<'_, Maps> {
        // A panic while holding the lock cannot leave a half-written map: every change is one
        // insert or remove per map. Recover the data rather than propagate the poison.
        self.maps.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Store for MemoryStore {
    async fn load(&self) -> Result<Loaded> {
        Ok(Loaded { enrollments: self.maps().enrollments.values().cloned().collect(), damaged: Vec::new() })
    }
    async fn get(&self, id: &str) -> Result<Option<Enrollment>> {
        Ok(self.maps().enrollments.get(id).cloned())
    }
    async fn put(&self, enrollment: &Enrollment) -> Result<()> {
        self.maps().put_all(std::slice::from_ref(enrollment), false, usize::MAX)
    }
    async fn update_enrollment(
        &self,
        id: &str,
        change: impl FnOnce(Option<Enrollment>, usize) -> Result<Enrollment>,
    ) -> Result<Enrollment> {
        self.maps().update_enrollment(id, change)
    }
    async fn count(&self) -> Result<usize> {
        Ok(self.maps().enrollments.len())
    }
    async fn remove(&self, id: &str) -> Result<bool> {
        Ok(self.maps().remove(id))
    }
    async fn clear(&self) -> Result<()> {
        self.maps().clear();
        Ok(())
    }
    async fn put_all(&self, enrollments: &[Enrollment], replace: bool, max_ids: usize) -> Result<()> {
        self.maps().put_all(enrollments, replace, max_ids)
    }
    async fn revision(&self) -> Result<u64> {
        Ok(self.maps().revision)
    }
    async fn attempts(&self, key: AttemptKey<'_>) -> Result<Attempts> {
        Ok(self.maps().attempts(key))
    }
    async fn update_attempts(
        &self,
        key: AttemptKey<'_>,
        change: impl FnOnce(Attempts) -> Result<Attempts>,
    ) -> Result<Attempts> {
        self.maps().update_attempts(key, change)
    }
}

/// Value of the attempts file's `format` field.
#[cfg(not(target_arch = "wasm32"))]
const ATTEMPTS_FORMAT: &str = "facegate-attempts";
/// The attempts file's version: 2 files state under [`AttemptKey::storage_key`].
#[cfg(not(target_arch = "wasm32"))]
const ATTEMPTS_VERSION: u32 = 2;

/// The attempts file: attempt state by [`AttemptKey::storage_key`].
#[cfg(not(target_arch = "wasm32"))]
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct AttemptsFile {
    format: String,
    version: u32,
    attempts: BTreeMap<String, Attempts>,
}

/// Enrollments in one gallery file (the versioned JSON of [`crate::template::to_bytes`]), as the
/// command line keeps them, and attempt state in a file next to it ([`FileStore::attempts_path`]).
/// A missing file is empty; every write replaces a file atomically (a temporary file renamed over
/// it), so a crash leaves the old or the new file. A damaged file is refused as a whole
/// (`INVALID_TEMPLATE` for the gallery, `STORAGE` for the attempts) and never overwritten: this
/// store does not skip single records.
#[cfg(not(target_arch = "wasm32"))]
#[derive(Debug)]
pub struct FileStore {
    path: std::path::PathBuf,
    lock: Mutex<()>,
}

#[cfg(not(target_arch = "wasm32"))]
impl FileStore {
    /// The gallery file at `path` (created on the first write).
    pub fn new(path: impl Into<std::path::PathBuf>) -> Self {
        FileStore { path: path.into(), lock: Mutex::new(()) }
    }

    /// The file holding attempt state: `NAME.attempts.json` next to the gallery file `NAME.json`.
    pub fn attempts_path(&self) -> std::path::PathBuf {
        self.path.with_extension("attempts.json")
    }

    fn storage(path: &std::path::Path, e: impl std::fmt::Display) -> crate::Error {
        crate::Error::Storage(format!("{}: {e}", path.display()))
    }

    /// The file's bytes; `None` when it does not exist.
    fn read_file(path: &std::path::Path) -> Result<Option<Vec<u8>>> {
        match std::fs::read(path) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Self::storage(path, e)),
        }
    }

    fn write_file(path: &std::path::Path, bytes: &[u8]) -> Result<()> {
        let mut tmp = path.to_path_buf().into_os_string();
        tmp.push(".tmp");
        std::fs::write(&tmp, bytes).map_err(|e| Self::storage(path, e))?;
        std::fs::rename(&tmp, path).map_err(|e| Self::storage(path, e))
    }

    fn read_enrollments(&self) -> Result<BTreeMap<String, Enrollment>> {
        let Some(bytes) = Self::read_file(&self.path)? else { return Ok(BTreeMap::new()) };
        Ok(crate::template::from_bytes(&bytes)?.into_iter().map(|e| (e.id().to_owned(), e)).collect())
    }

    fn read_attempts(&self) -> Result<BTreeMap<String, Attempts>> {
        let path = self.attempts_path();
        let Some(bytes) = Self::read_file(&path)? else { return Ok(BTreeMap::new()) };
        let file: AttemptsFile = serde_json::from_slice(&bytes).map_err(|e| Self::storage(&path, e))?;
        match (file.format.as_str(), file.version) {
            (ATTEMPTS_FORMAT, ATTEMPTS_VERSION) => Ok(file.attempts),
            // Version 1 filed ids as they are and sign-in under "".
            (ATTEMPTS_FORMAT, 1) => Ok(file
                .attempts
                .into_iter()
                .map(|(id, a)| (if id.is_empty() { AttemptKey::SignIn } else { AttemptKey::Id(&id) }.storage_key(), a))
                .collect()),
            _ => Err(Self::storage(&path, format!("not a version 1 or 2 {ATTEMPTS_FORMAT:?} file"))),
        }
    }

    /// Reads both files, applies `change` and, when it succeeds, writes back the files it
    /// changed, all under the store's lock.
    fn update<T>(&self, change: impl FnOnce(&mut Maps) -> Result<T>) -> Result<T> {
        let _guard = self.lock.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let before = Maps { enrollments: self.read_enrollments()?, attempts: self.read_attempts()?, revision: 0 };
        let mut maps = Maps { enrollments: before.enrollments.clone(), attempts: before.attempts.clone(), revision: 0 };
        let out = change(&mut maps)?;
        if maps.enrollments != before.enrollments {
            let all: Vec<Enrollment> = maps.enrollments.into_values().collect();
            Self::write_file(&self.path, &crate::template::to_bytes(&all))?;
        }
        if maps.attempts != before.attempts {
            let file =
                AttemptsFile { format: ATTEMPTS_FORMAT.into(), version: ATTEMPTS_VERSION, attempts: maps.attempts };
            // Strings, integers and finite floats always serialise.
            Self::write_file(&self.attempts_path(), &serde_json::to_vec(&file).unwrap_or_default())?;
        }
        Ok(out)
    }
}

#[cfg(not(target_arch = "wasm32"))]
impl Store for FileStore {
    async fn load(&self) -> Result<Loaded> {
        Ok(Loaded { enrollments: self.read_enrollments()?.into_values().collect(), damaged: Vec::new() })
    }
    async fn get(&self, id: &str) -> Result<Option<Enrollment>> {
        Ok(self.read_enrollments()?.remove(id))
    }
    async fn put(&self, enrollment: &Enrollment) -> Result<()> {
        self.update(|maps| maps.put_all(std::slice::from_ref(enrollment), false, usize::MAX))
    }
    async fn update_enrollment(
        &self,
        id: &str,
        change: impl FnOnce(Option<Enrollment>, usize) -> Result<Enrollment>,
    ) -> Result<Enrollment> {
        self.update(|maps| maps.update_enrollment(id, change))
    }
    async fn count(&self) -> Result<usize> {
        Ok(self.read_enrollments()?.len())
    }
    async fn remove(&self, id: &str) -> Result<bool> {
        self.update(|maps| Ok(maps.remove(id)))
    }
    async fn clear(&self) -> Result<()> {
        self.update(|maps| {
            maps.clear();
            Ok(())
        })
    }
    async fn put_all(&self, enrollments: &[Enrollment], replace: bool, max_ids: usize) -> Result<()> {
        self.update(|maps| maps.put_all(enrollments, replace, max_ids))
    }
    /// The gallery file's length and modification time (0 when there is none): every write
    /// replaces the file, by this process or another.
    async fn revision(&self) -> Result<u64> {
        use std::hash::{Hash, Hasher};
        let metadata = match std::fs::metadata(&self.path) {
            Ok(metadata) => metadata,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
            Err(e) => return Err(Self::storage(&self.path, e)),
        };
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        (metadata.len(), metadata.modified().ok()).hash(&mut hasher);
        Ok(hasher.finish())
    }
    async fn attempts(&self, key: AttemptKey<'_>) -> Result<Attempts> {
        Ok(self.read_attempts()?.get(&key.storage_key()).copied().unwrap_or_default())
    }
    async fn update_attempts(
        &self,
        key: AttemptKey<'_>,
        change: impl FnOnce(Attempts) -> Result<Attempts>,
    ) -> Result<Attempts> {
        self.update(|maps| maps.update_attempts(key, change))
    }
}
