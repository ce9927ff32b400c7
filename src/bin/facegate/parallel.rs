//! Embedding many image files on every core, with a progress bar (eval-lfw, train-head,
//! report-heads).

use crate::cli::{read, CliError};
use facegate::{Embedding, Frame, Pipeline, Selection};
use indicatif::{ProgressBar, ProgressStyle};
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Instant;

/// What embedding one image gave: the embedding (None: no face), and the milliseconds spent
/// from decoded frame to embedding.
pub type Outcome = (Option<Embedding>, f64);

/// Embeds the largest face of each file on `threads` threads (each with a clone of `pipeline`),
/// in the order given; a file that cannot be read or decoded stops the run.
pub fn embed_all(pipeline: &Pipeline, paths: &[PathBuf], threads: usize) -> Result<Vec<Outcome>, CliError> {
    let bar = ProgressBar::new(paths.len() as u64);
    bar.set_style(
        ProgressStyle::with_template("{elapsed_precise} [{bar:40}] {pos}/{len} images ({per_sec}, eta {eta})")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let next = Mutex::new(0usize);
    let results: Mutex<Vec<Option<Outcome>>> = Mutex::new(vec![None; paths.len()]);
    let failure: Mutex<Option<CliError>> = Mutex::new(None);
    std::thread::scope(|scope| {
        for _ in 0..threads {
            let pipeline = pipeline.clone();
            let (next, results, failure, bar) = (&next, &results, &failure, &bar);
            scope.spawn(move || loop {
                let i = {
                    let mut n = next.lock().unwrap_or_else(|p| p.into_inner());
                    let i = *n;
                    *n += 1;
                    i
                };
                if i >= paths.len() {
                    break;
                }
                let path = &paths[i];
                let outcome = read(path).and_then(|bytes| {
                    let frame = Frame::decode(&bytes).map_err(|e| CliError::Face(e, Some(path.clone())))?;
                    let start = Instant::now();
                    let embedding = match pipeline.describe(&frame, Selection::Largest) {
                        Ok(d) => Some(d.embedding),
                        Err(facegate::Error::NoFace | facegate::Error::FaceTooSmall { .. }) => None,
                        Err(e) => return Err(CliError::Face(e, Some(path.clone()))),
                    };
                    Ok((embedding, start.elapsed().as_secs_f64() * 1e3))
                });
                match outcome {
                    Ok(o) => results.lock().unwrap_or_else(|p| p.into_inner())[i] = Some(o),
                    Err(e) => {
                        *failure.lock().unwrap_or_else(|p| p.into_inner()) = Some(e);
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
    Ok(results.into_iter().map(|r| r.unwrap_or((None, 0.0))).collect())
}
