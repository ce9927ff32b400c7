//! Where enrollments are kept: a small [`Store`] trait (load, get, count, put one id, remove, clear)
//! with an in-memory store and a gallery-file store here, and IndexedDB in the browser layer.
//! Stores only keep [`Enrollment`]s; every check and decision is the [`crate::Gallery`]'s.

use crate::error::Result;
use crate::template::Enrollment;
use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};

/// Storage of enrollments by id. Methods are `async` because IndexedDB is; the memory and file
/// stores complete at once (drive them with any executor, e.g. `pollster::block_on`). A write
/// that returns `Ok` has happened: stores report failed writes as `STORAGE` errors.
#[allow(async_fn_in_trait)] // used through generics; the browser's futures are not `Send`
pub trait Store {
    /// Every enrollment, in id order.
    async fn load(&self) -> Result<Vec<Enrollment>>;
    /// The enrollment of `id`, if any.
    async fn get(&self, id: &str) -> Result<Option<Enrollment>>;
    /// Writes `enrollment`, replacing any with the same id.
    async fn put(&self, enrollment: &Enrollment) -> Result<()>;
    /// How many enrollments there are.
    async fn count(&self) -> Result<usize>;
    /// Deletes `id`; `false` when it was not there.
    async fn remove(&self, id: &str) -> Result<bool>;
    /// Deletes every enrollment.
    async fn clear(&self) -> Result<()>;
    /// Writes several enrollments (after deleting all others when `replace`), all or nothing.
    async fn put_all(&self, enrollments: &[Enrollment], replace: bool) -> Result<()>;
}

/// Enrollments in memory only: for tests and for apps that keep the data elsewhere (see
/// [`crate::Gallery::export`]).
#[derive(Debug, Default)]
pub struct MemoryStore {
    map: Mutex<BTreeMap<String, Enrollment>>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn map(&self) -> MutexGuard<'_, BTreeMap<String, Enrollment>> {
        // A panic while holding the lock cannot leave a half-written map: every change is one
        // insert or remove. Recover the data rather than propagate the poison.
        self.map.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Store for MemoryStore {
    async fn load(&self) -> Result<Vec<Enrollment>> {
        Ok(self.map().values().cloned().collect())
    }
    async fn get(&self, id: &str) -> Result<Option<Enrollment>> {
        Ok(self.map().get(id).cloned())
    }
    async fn put(&self, enrollment: &Enrollment) -> Result<()> {
        self.map().insert(enrollment.id().to_owned(), enrollment.clone());
        Ok(())
    }
    async fn count(&self) -> Result<usize> {
        Ok(self.map().len())
    }
    async fn remove(&self, id: &str) -> Result<bool> {
        Ok(self.map().remove(id).is_some())
    }
    async fn clear(&self) -> Result<()> {
        self.map().clear();
        Ok(())
    }
    async fn put_all(&self, enrollments: &[Enrollment], replace: bool) -> Result<()> {
        let mut map = self.map();
        if replace {
            map.clear();
        }
        map.extend(enrollments.iter().map(|e| (e.id().to_owned(), e.clone())));
        Ok(())
    }
}

/// Enrollments in one gallery file (the versioned JSON of [`crate::template::to_bytes`]), as the
/// command line keeps them. A missing file is an empty gallery; every write replaces the file
/// atomically (a temporary file renamed over it), so a crash leaves the old or the new file.
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

    fn storage(&self, e: impl std::fmt::Display) -> crate::Error {
        crate::Error::Storage(format!("{}: {e}", self.path.display()))
    }

    fn read(&self) -> Result<BTreeMap<String, Enrollment>> {
        let bytes = match std::fs::read(&self.path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
            Err(e) => return Err(self.storage(e)),
        };
        Ok(crate::template::from_bytes(&bytes)?.into_iter().map(|e| (e.id().to_owned(), e)).collect())
    }

    fn write(&self, map: &BTreeMap<String, Enrollment>) -> Result<()> {
        let all: Vec<Enrollment> = map.values().cloned().collect();
        let mut tmp = self.path.clone().into_os_string();
        tmp.push(".tmp");
        std::fs::write(&tmp, crate::template::to_bytes(&all)).map_err(|e| self.storage(e))?;
        std::fs::rename(&tmp, &self.path).map_err(|e| self.storage(e))
    }

    /// Reads the file, applies `change` and writes the file back, under the store's lock.
    fn update<T>(&self, change: impl FnOnce(&mut BTreeMap<String, Enrollment>) -> T) -> Result<T> {
        let _guard = self.lock.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut map = self.read()?;
        let out = change(&mut map);
        self.write(&map)?;
        Ok(out)
    }
}

#[cfg(not(target_arch = "wasm32"))]
impl Store for FileStore {
    async fn load(&self) -> Result<Vec<Enrollment>> {
        Ok(self.read()?.into_values().collect())
    }
    async fn get(&self, id: &str) -> Result<Option<Enrollment>> {
        Ok(self.read()?.remove(id))
    }
    async fn put(&self, enrollment: &Enrollment) -> Result<()> {
        self.update(|map| map.insert(enrollment.id().to_owned(), enrollment.clone())).map(drop)
    }
    async fn count(&self) -> Result<usize> {
        Ok(self.read()?.len())
    }
    async fn remove(&self, id: &str) -> Result<bool> {
        self.update(|map| map.remove(id).is_some())
    }
    async fn clear(&self) -> Result<()> {
        self.update(BTreeMap::clear)
    }
    async fn put_all(&self, enrollments: &[Enrollment], replace: bool) -> Result<()> {
        self.update(|map| {
            if replace {
                map.clear();
            }
            map.extend(enrollments.iter().map(|e| (e.id().to_owned(), e.clone())));
        })
    }
}
