//! Work spread over a bounded pool of threads with a progress bar: embedding many image files
//! (eval-lfw, train-head, report-heads), training the folds of report-heads, scoring all pairs.

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;

/// `requested` threads, or one per core.
pub fn threads(requested: Option<usize>) -> usize {
    requested.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())).max(1)
}

/// A progress bar of `len` steps with `what` after the counts.
pub fn progress(len: usize, what: &str) -> ProgressBar {
    let bar = ProgressBar::new(len as u64);
    let template = format!("{{elapsed_precise}} [{{bar:40}}] {{pos}}/{{len}} {what}");
    bar.set_style(ProgressStyle::with_template(&template).unwrap_or_else(|_| ProgressStyle::default_bar()));
    bar
}

/// `work(i)` for every `i` in `0..count` on a pool of `threads` threads, ticking `bar` per
/// item: the results in order, or an error (after which no new item starts).
pub fn map_indexed<T: Send>(
    count: usize,
    threads: usize,
    bar: &ProgressBar,
    work: impl Fn(usize) -> Result<T> + Sync + Send,
) -> Result<Vec<T>> {
    let results = pool(count, threads)?.install(|| {
        (0..count)
            .into_par_iter()
            .map(|i| {
                let value = work(i)?;
                bar.inc(1);
                Ok(value)
            })
            .collect()
    });
    bar.finish_and_clear();
    results
}

/// `work(partial, i)` for every `i` in `0..count` on a pool of `threads` threads, ticking `bar`
/// per item: each thread's items fold into partials started from `empty()`, which `merge` joins.
pub fn fold_indexed<T: Send>(
    count: usize,
    threads: usize,
    bar: &ProgressBar,
    empty: impl Fn() -> T + Sync + Send,
    work: impl Fn(T, usize) -> T + Sync + Send,
    merge: impl Fn(T, T) -> T + Sync + Send,
) -> Result<T> {
    let result = pool(count, threads)?.install(|| {
        (0..count)
            .into_par_iter()
            .fold(&empty, |partial, i| {
                let partial = work(partial, i);
                bar.inc(1);
                partial
            })
            .reduce(&empty, &merge)
    });
    bar.finish_and_clear();
    Ok(result)
}

/// A pool of `threads` worker threads, at most one per item of `count`.
fn pool(count: usize, threads: usize) -> Result<rayon::ThreadPool> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads.clamp(1, count.max(1)))
        .thread_name(|i| format!("facegate-worker-{i}"))
        .build()
        .context("starting the worker threads")
}
