//! The facegate command line: compare two photos, enroll and identify against a gallery file,
//! and benchmark on LFW.
//!
//! Modules import one way only: `main` → one module per command → the shared modules
//! (`args`, `images`, `lfw`, `parallel`); `lfw` uses `images` and `parallel`, which import
//! no other module of the binary.

#[cfg(not(target_arch = "wasm32"))]
mod args;
#[cfg(not(target_arch = "wasm32"))]
mod images;
#[cfg(not(target_arch = "wasm32"))]
mod lfw;
#[cfg(not(target_arch = "wasm32"))]
mod parallel;

#[cfg(not(target_arch = "wasm32"))]
mod bench;
#[cfg(not(target_arch = "wasm32"))]
mod clips;
#[cfg(not(target_arch = "wasm32"))]
mod compare;
#[cfg(not(target_arch = "wasm32"))]
mod enroll;
#[cfg(not(target_arch = "wasm32"))]
mod eval_identify;
#[cfg(not(target_arch = "wasm32"))]
mod eval_lfw;
#[cfg(not(target_arch = "wasm32"))]
mod eval_liveness;
#[cfg(not(target_arch = "wasm32"))]
mod identify;
#[cfg(not(target_arch = "wasm32"))]
mod report_heads;
#[cfg(not(target_arch = "wasm32"))]
mod train_head;
#[cfg(not(target_arch = "wasm32"))]
mod video;

#[cfg(not(target_arch = "wasm32"))]
#[derive(clap::Parser)]
#[command(name = "facegate", version, about = "On-device face verification and identification")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[cfg(not(target_arch = "wasm32"))]
#[derive(clap::Subcommand)]
enum Command {
    /// Are the faces in two photos the same person?
    Compare(compare::CompareArgs),
    /// Enroll a person from one or more photos into a gallery file (created if missing).
    Enroll(enroll::EnrollArgs),
    /// Which enrolled person is this? Prints "unknown" when nobody passes.
    Identify(identify::IdentifyArgs),
    /// Time each step on one photo, single-threaded: median and spread of repeated runs.
    Bench(bench::BenchArgs),
    /// Make a Y4M video from photos (each shown in turn) for Chromium's fake camera.
    Video(video::VideoArgs),
    /// The LFW View 2 benchmark: 10-fold accuracy, TAR at FAR, timing, ROC plot.
    EvalLfw(eval_lfw::EvalArgs),
    /// Sign-in by identification on LFW: how often strangers are taken for someone in galleries
    /// of N people, with the 1:1 rule and with the FAR-bounded rule (and --write-table: its table).
    EvalIdentify(eval_identify::EvalIdentifyArgs),
    /// Train a head (triplet projection, logistic pair head or Platt scaling) on a labelled folder.
    TrainHead(train_head::TrainArgs),
    /// LFW 10-fold table of cosine and every head kind, each fold's heads trained without that
    /// fold's people: accuracy, TAR@FAR 1e-3, calibration (ECE).
    ReportHeads(report_heads::ReportArgs),
    /// One liveness test clip from a photo (still, card, live, wrong-order, too-slow) as Y4M or PNG frames.
    LivenessClip(clips::command::ClipArgs),
    /// Liveness test clips of many LFW people: check they are what they claim, or write them as Y4M.
    LivenessClips(clips::check::ClipsArgs),
    /// The liveness check on clips of LFW people (still, card, live, wrong order, too slow):
    /// how many of each kind are accepted.
    EvalLiveness(eval_liveness::EvalLivenessArgs),
}

#[cfg(not(target_arch = "wasm32"))]
fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Compare(args) => compare::run(args),
        Command::Enroll(args) => enroll::run(args),
        Command::Identify(args) => identify::run(args),
        Command::Bench(args) => bench::run(args),
        Command::Video(args) => video::run(args),
        Command::EvalLfw(args) => eval_lfw::run(args),
        Command::EvalIdentify(args) => eval_identify::run(args),
        Command::TrainHead(args) => train_head::run(args),
        Command::ReportHeads(args) => report_heads::run(args),
        Command::LivenessClip(args) => clips::command::run(args),
        Command::LivenessClips(args) => clips::check::run(args),
        Command::EvalLiveness(args) => eval_liveness::run(args),
    }
}

/// Runs the command; any error exits with status 2 (as clap does for bad usage), printed with
/// its context and, for facegate's own errors, their stable code:
/// `error [NO_FACE]: cat.png: no face found`.
#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    use clap::Parser;
    let Err(error) = run(Cli::parse().command) else {
        return std::process::ExitCode::SUCCESS;
    };
    match error.chain().find_map(|e| e.downcast_ref::<facegate::Error>()) {
        Some(e) => eprintln!("error [{}]: {error:#}", e.code()),
        None => eprintln!("error: {error:#}"),
    }
    std::process::ExitCode::from(2)
}

/// The command line is native only; the browser uses the library through `facegate::web`.
#[cfg(target_arch = "wasm32")]
fn main() {}
