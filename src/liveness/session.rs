//! A challenge run on camera frames: each frame through the pipeline (exactly one face, its mesh,
//! its embedding, in two steps after the first face), every face checked to be the first face's
//! person, the check's progress returned.

use super::check::{Check, Observation, Outcome, Progress, Report, Seen};
use super::Challenge;
use crate::embed::Embedding;
use crate::error::{Error, Result};
use crate::frame::Frame;
use crate::pipeline::{Pipeline, Selection};
use crate::rule::Rule;

/// One liveness challenge over a stream of frames, for one person.
#[derive(Debug, Clone)]
pub struct Session {
    check: Check,
    /// The first face's embedding (taken while the person looks at the camera): the probe to
    /// decide with, and who the challenge is about when no template is given.
    first: Option<Embedding>,
}

impl Session {
    /// Starts `challenge`.
    pub fn new(challenge: Challenge) -> Session {
        Session { check: Check::new(challenge), first: None }
    }

    /// Runs one frame taken at `t_ms`: no face leaves the frame unused, two faces fail the
    /// challenge, one face is embedded and must be the person of the first face by `rule` (so
    /// nobody can take over mid-challenge; who that person is, is decided on [`Session::probe`]
    /// afterwards, e.g. by [`crate::Gallery::verify_live`]).
    pub fn push(&mut self, pipeline: &Pipeline, frame: &Frame, t_ms: f64, rule: &Rule) -> Result<Progress> {
        if self.check.outcome().is_some() || self.check.is_stale(t_ms) {
            return Ok(self.check.progress()); // refused before any model runs
        }
        let seen = match pipeline.mesh_and_probe(frame, Selection::Single) {
            Ok((mesh, probe)) => {
                // The first face is embedded fully (it is the probe decided on at the end); the
                // others in two steps, like a verify.
                let same_person = match &self.first {
                    Some(first) => rule.decide_in_steps(first, probe.quick(), || pipeline.complete(&probe))?.is_match,
                    None => {
                        self.first = Some(pipeline.complete(&probe)?);
                        true
                    }
                };
                Seen::face(&mesh, pipeline.eyes(frame, &mesh)?, same_person)?
            }
            Err(Error::NoFace | Error::FaceTooSmall { .. }) => Seen::NoFace,
            Err(Error::MultipleFaces { .. }) => Seen::MultipleFaces,
            Err(e) => return Err(e),
        };
        Ok(self.check.push(Observation { t_ms, seen }))
    }

    /// How it ended; `None` while running.
    pub fn outcome(&self) -> Option<Outcome> {
        self.check.outcome()
    }

    /// Starts the time limits at `t_ms` (see [`Check::start`]).
    pub fn start(&mut self, t_ms: f64) {
        self.check.start(t_ms);
    }

    /// When the current prompt or the whole challenge runs out (see [`Check::deadline`]).
    pub fn deadline(&self) -> Option<f64> {
        self.check.deadline()
    }

    /// Ends the challenge with a timeout at its deadline when no frame came (see
    /// [`Check::expire`]).
    pub fn expire(&mut self, t_ms: f64) -> Progress {
        self.check.expire(t_ms)
    }

    /// How many steps are done (without the cost of a [`Session::report`]).
    pub fn steps_done(&self) -> usize {
        self.check.steps_done()
    }

    /// What was asked and seen so far.
    pub fn report(&self) -> Report {
        self.check.report()
    }

    /// The first face's embedding: the probe to decide with once passed.
    pub fn probe(&self) -> Option<&Embedding> {
        self.first.as_ref()
    }
}
