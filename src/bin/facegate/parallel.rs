//! Work spread over every core with a progress bar: embedding many image files (eval-lfw,
//! train-head, report-heads) and training the folds of report-heads.

use crate::cli::{read, CliError};
use facegate::{Embedding, Frame, Pipeline, Selection};
use indicatif::{ProgressBar, ProgressStyle};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

/// What embedding one image gave: the embedding (None: no face), and the milliseconds spent
/// from decoded frame to embedding.
pub type Outcome = (Option<Embedding>, f64);

/// A progress bar of `len` steps with `what` after the counts.
pub fn progress(len: usize, what: &str) -> ProgressBar {
    let bar = ProgressBar::new(len as u64);
    let template = format!("{{elapsed_precise}} [{{bar:40}}] {{pos}}/{{len}} {what}");
    bar.set_style(ProgressStyle::with_template(&template).unwrap_or_else(|_| ProgressStyle::default_bar()));
    bar
}

/// `work(i)` for every `i` in `0..count` on `threads` threads, ticking `bar` per item: the
/// results in order, or the first error (after which no new item starts).
pub fn map_indexed<T: Send>(
    count: usize,
    threads: usize,
    bar: &ProgressBar,
    work: impl Fn(usize) -> Result<T, CliError> + Sync,
) -> Result<Vec<T>, CliError> {
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<T>>> = Mutex::new((0..count).map(|_| None).collect());
    let failure: Mutex<Option<CliError>> = Mutex::new(None);
    let failed = || failure.lock().unwrap_or_else(|p| p.into_inner()).is_some();
    std::thread::scope(|scope| {
        for _ in 0..threads.clamp(1, count.max(1)) {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= count || failed() {
                    break;
                }
                match work(i) {
                    Ok(value) => results.lock().unwrap_or_else(|p| p.into_inner())[i] = Some(value),
                    Err(e) => {
                        failure.lock().unwrap_or_else(|p| p.into_inner()).get_or_insert(e);
                        break;
                    }
                }
                bar.inc(1);
            });
        }
    });
    bar.finish_and_clear();
    if let Some(e) = failure.into_inner().unwrap_or_else(|p| p.into_inner()) {
        return Err(e);
    }
    let results = results.into_inner().unwrap_or_else(|p| p.into_inner());
    results.into_iter().map(|r| r.ok_or_else(|| CliError::Io("a parallel task did not finish".into()))).collect()
}

/// Embeds the largest face of each file on `threads` threads, in the order given; a file that
/// cannot be read or decoded stops the run.
pub fn embed_all(pipeline: &Pipeline, paths: &[PathBuf], threads: usize) -> Result<Vec<Outcome>, CliError> {
    map_indexed(paths.len(), threads, &progress(paths.len(), "images ({per_sec}, eta {eta})"), |i| {
        let path = &paths[i];
        let frame = Frame::decode(&read(path)?).map_err(|e| CliError::Face(e, Some(path.clone())))?;
        let start = Instant::now();
        let embedding = match pipeline.describe(&frame, Selection::Largest) {
            Ok(d) => Some(d.embedding),
            Err(facegate::Error::NoFace | facegate::Error::FaceTooSmall { .. }) => None,
            Err(e) => return Err(CliError::Face(e, Some(path.clone()))),
        };
        Ok((embedding, start.elapsed().as_secs_f64() * 1e3))
    })
}
