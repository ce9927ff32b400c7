//! The one place that decides: enrollment checks, verify (1:1) and identify (1:K, open set) by
//! one [`Rule`] (cosine threshold or a trained head), attempt limits ([`Lockout`]), over
//! enrollments kept in any [`Store`].

use crate::attempts::{AttemptKey, Attempts, Lockout};
use crate::embed::{EmbedderModel, Embedding};
use crate::error::{Error, Result};
use crate::far::IdentifyOptions;
use crate::liveness::{Outcome, Report, Session};
use crate::rule::{Candidate, Rule, Verification};
use crate::store::{Damaged, Loaded, Store};
use crate::template::{self, check_id, now_ms, Enrollment};
use serde::Serialize;
use std::sync::{Arc, Mutex};

/// The answer to "is this the enrolled person, alive in front of the camera?".
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LiveVerification {
    /// The challenge passed: one real, moving head did every step, the same person throughout.
    pub is_live: bool,
    /// The decision on the session's probe, when live.
    pub verification: Option<Verification>,
    /// What was asked and seen.
    pub report: Report,
}

impl LiveVerification {
    /// Live and the enrolled person.
    pub fn is_match(&self) -> bool {
        self.verification.is_some_and(|v| v.is_match)
    }
}

/// The answer to "who is this, alive in front of the camera?" (sign-in by identification).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LiveIdentification {
    /// The challenge passed.
    pub is_live: bool,
    /// The recognised person (at most `k`), empty when not live or nobody passed.
    pub candidates: Vec<Candidate>,
    /// What was asked and seen.
    pub report: Report,
}

/// Caps on what a gallery holds; `enroll` refuses to pass them with `LIMIT` (ids are also at most
/// [`crate::template::MAX_ID_BYTES`] long).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Shots one id may hold.
    pub max_shots: usize,
    /// Ids the store may hold.
    pub max_ids: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_shots: 20, max_ids: 10_000 }
    }
}

/// What [`Gallery::import`] does with the enrollments already there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ImportMode {
    /// Keep them; an imported id replaces the enrollment with the same id.
    Merge,
    /// Delete them first.
    Replace,
}

/// The time source of attempt limits, ms since the epoch (`Send + Sync` natively, so a gallery
/// can be shared between threads; any closure in the browser).
#[cfg(not(target_arch = "wasm32"))]
pub trait Clock: Fn() -> f64 + Send + Sync {}
#[cfg(not(target_arch = "wasm32"))]
impl<F: Fn() -> f64 + Send + Sync> Clock for F {}
/// The time source of attempt limits, ms since the epoch (`Send + Sync` natively, so a gallery
/// can be shared between threads; any closure in the browser).
#[cfg(target_arch = "wasm32")]
pub trait Clock: Fn() -> f64 {}
#[cfg(target_arch = "wasm32")]
impl<F: Fn() -> f64> Clock for F {}

/// Enrolled identities in a [`Store`], bound to the embedding model that made their templates,
/// and the [`Rule`] that decides. Failed verifications are counted per id and lock it by the
/// [`Lockout`] policy. Every method leaves the enrollments unchanged on error.
pub struct Gallery<S> {
    store: S,
    model_sha256: String,
    rule: Rule,
    limits: Limits,
    lockout: Lockout,
    clock: Box<dyn Clock>,
    /// Length of the model's embeddings, when known: records of another length are damaged.
    dim: Option<usize>,
    /// The usable enrollments' templates as of a store revision ([`Store::revision`]): identify
    /// reloads and recomputes them only after a write.
    templates: Mutex<Option<(u64, Arc<Templates>)>>,
}

/// Each usable enrollment's id and template, in id order.
type Templates = Vec<(String, Embedding)>;

impl<S: std::fmt::Debug> std::fmt::Debug for Gallery<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gallery")
            .field("store", &self.store)
            .field("model_sha256", &self.model_sha256)
            .field("rule", &self.rule)
            .field("limits", &self.limits)
            .field("lockout", &self.lockout)
            .field("dim", &self.dim)
            .finish_non_exhaustive()
    }
}

impl<S: Store> Gallery<S> {
    /// A gallery of the enrollments in `store` made by the model with this SHA-256 (see
    /// `Pipeline::model_sha256`), deciding by `rule`; a head trained on another model is
    /// refused (`MODEL_MISMATCH`). The embedding length is the head's input, or that of the
    /// model when facegate knows its SHA-256 ([`EmbedderModel::of_sha256`]); set it for other
    /// models with [`Gallery::with_dimension`].
    pub fn new(store: S, model_sha256: impl Into<String>, rule: Rule) -> Result<Self> {
        let model_sha256 = model_sha256.into();
        rule.check_model(&model_sha256)?;
        let (limits, lockout) = (Limits::default(), Lockout::default());
        let dim = match &rule {
            Rule::Head { head, .. } => Some(head.input_dim()),
            Rule::Cosine(_) => EmbedderModel::of_sha256(&model_sha256).map(EmbedderModel::dim),
        };
        let templates = Mutex::default();
        Ok(Gallery { store, model_sha256, rule, limits, lockout, clock: Box::new(now_ms), dim, templates })
    }

    /// The same gallery for embeddings of `dim` values (e.g. `Embedder::kind().dim()`): stored
    /// records of another length are damaged (see [`Gallery::list`]), imports of them refused,
    /// and probes of another length `INVALID_ARGUMENT`. A length other than a head's input is
    /// `INVALID_ARGUMENT`.
    pub fn with_dimension(mut self, dim: usize) -> Result<Self> {
        let head_dim = match &self.rule {
            Rule::Head { head, .. } => Some(head.input_dim()),
            Rule::Cosine(_) => None,
        };
        if dim == 0 || head_dim.is_some_and(|h| h != dim) {
            return Err(Error::InvalidArgument(format!(
                "an embedding length of {dim} does not fit the rule (input {head_dim:?})"
            )));
        }
        self.dim = Some(dim);
        Ok(self)
    }

    /// Length of this model's embeddings, when known (see [`Gallery::new`]).
    pub fn dimension(&self) -> Option<usize> {
        self.dim
    }

    /// Whether a stored or imported enrollment is usable here: made by this model
    /// (`MODEL_MISMATCH`), of this model's length and within the shot cap (`INVALID_TEMPLATE`).
    fn check_record(&self, enrollment: &Enrollment) -> Result<()> {
        enrollment.check_model(&self.model_sha256)?;
        enrollment.check_shape(self.dim, self.limits.max_shots)
    }

    /// The same gallery with another attempt-limit policy.
    pub fn with_lockout(mut self, lockout: Lockout) -> Self {
        self.lockout = lockout;
        self
    }

    /// The attempt-limit policy.
    pub fn lockout(&self) -> Lockout {
        self.lockout
    }

    /// The same gallery reading the time (ms since the epoch) from `clock` instead of the
    /// system clock: for tests of the attempt limits.
    pub fn with_clock(mut self, clock: impl Clock + 'static) -> Self {
        self.clock = Box::new(clock);
        self
    }

    /// The same gallery with other caps.
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// The caps `enroll` enforces.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// The deciding rule.
    pub fn rule(&self) -> &Rule {
        &self.rule
    }

    /// Replaces the deciding rule, refusing heads of another model (`MODEL_MISMATCH`) or of
    /// another embedding length than the gallery's (`INVALID_ARGUMENT`); a head sets the length
    /// when it was unknown.
    pub fn set_rule(&mut self, rule: Rule) -> Result<()> {
        rule.check_model(&self.model_sha256)?;
        if let Rule::Head { head, .. } = &rule {
            let input = head.input_dim();
            if self.dim.is_some_and(|dim| dim != input) {
                return Err(Error::InvalidArgument(format!(
                    "the head takes embeddings of {input} values, the gallery's are {:?}",
                    self.dim
                )));
            }
            self.dim = Some(input);
        }
        self.rule = rule;
        Ok(())
    }

    /// SHA-256 of the embedding model the templates belong to.
    pub fn model_sha256(&self) -> &str {
        &self.model_sha256
    }

    /// The store.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// Adds shots to `id` (creating it): one is enough, several are averaged. Checks the id,
    /// the shots' length (the head's input, or the existing shots'), the model of an existing
    /// enrollment, the [`Limits`] (`LIMIT`), and that every new shot shows the person already
    /// enrolled — the rule must accept it against the template of the shots before it
    /// (`MISMATCH`), so one shot of somebody else cannot poison a template. Returns the
    /// enrollment as stored.
    pub async fn enroll(&self, id: &str, shots: Vec<Embedding>) -> Result<Enrollment> {
        check_id(id)?;
        if shots.is_empty() {
            return Err(Error::InvalidArgument("enroll needs at least one shot".into()));
        }
        if let (Rule::Head { head, .. }, Some(shot)) = (&self.rule, shots.first()) {
            if shot.as_slice().len() != head.input_dim() {
                return Err(Error::InvalidArgument(format!(
                    "embeddings of this model have {} values, not {}",
                    head.input_dim(),
                    shot.as_slice().len()
                )));
            }
        }
        let now = now_ms();
        self.store.update_enrollment(id, |old, ids| self.enrolled(id, old, ids, shots, now)).await
    }

    /// What `enroll` writes for `id`, given its stored enrollment (`old`) and how many ids the
    /// store holds: run inside the store's atomic update, so concurrent enrolls can neither lose
    /// shots nor pass the caps.
    fn enrolled(
        &self,
        id: &str,
        old: Option<Enrollment>,
        ids: usize,
        shots: Vec<Embedding>,
        now: f64,
    ) -> Result<Enrollment> {
        let held = old.as_ref().map_or(0, |e| e.shots().len());
        if held + shots.len() > self.limits.max_shots {
            return Err(Error::Limit(format!(
                "{id:?} may hold {} shots; it has {held}, {} more were given",
                self.limits.max_shots,
                shots.len()
            )));
        }
        if old.is_none() && ids >= self.limits.max_ids {
            return Err(Error::Limit(format!("the gallery holds its maximum of {} ids", self.limits.max_ids)));
        }
        let mut shots = shots.into_iter();
        let mut enrollment = match old {
            Some(old) => {
                old.check_model(&self.model_sha256)?;
                old
            }
            None => Enrollment::new(id, &self.model_sha256, shots.next().into_iter().collect(), now)?,
        };
        for shot in shots {
            if !self.rule.decide(&enrollment.template()?, &shot)?.is_match {
                return Err(Error::Mismatch(id.to_owned()));
            }
            enrollment = enrollment.with_shots([shot], now)?;
        }
        Ok(enrollment)
    }

    /// 1:1 — does `probe` show the person enrolled as `id`? A locked id is refused (`LOCKED`,
    /// with the time left) before any comparison; a non-match counts as a failed attempt and a
    /// match resets the count (see [`Gallery::record_attempt`]).
    pub async fn verify(&self, id: &str, probe: &Embedding) -> Result<Verification> {
        self.verify_by(id, |template| self.rule.decide(template, probe)).await
    }

    /// 1:1 on a probe embedded in two steps (see [`Probe`](crate::embed::Probe)): decided on
    /// `quick` when that decision is clear ([`Rule::is_clear`]), else on `complete()` (the full
    /// embedding, e.g. [`Pipeline::complete`](crate::Pipeline::complete)), which then runs. Locks
    /// and attempts as [`Gallery::verify`]; one attempt either way.
    pub async fn verify_in_steps(
        &self,
        id: &str,
        quick: &Embedding,
        complete: impl FnOnce() -> Result<Embedding>,
    ) -> Result<Verification> {
        self.verify_by(id, |template| self.rule.decide_in_steps(template, quick, complete)).await
    }

    /// 1:1 with `decide` on `id`'s template, behind the lock and counted as an attempt. The
    /// lock is checked again where the attempt is counted (atomically), so of many concurrent
    /// failures exactly `max_failures` are counted and the rest are `LOCKED`.
    async fn verify_by(
        &self,
        id: &str,
        decide: impl FnOnce(&Embedding) -> Result<Verification>,
    ) -> Result<Verification> {
        self.check_lock(id).await?;
        let verification = decide(&self.template(id).await?)?;
        self.check_and_record(id.into(), verification.is_match).await?;
        Ok(verification)
    }

    /// The template (mean of the shots) of `id`, checked to be of this gallery's model.
    pub async fn template(&self, id: &str) -> Result<Embedding> {
        let enrollment = self.store.get(id).await?.ok_or_else(|| Error::UnknownIdentity(id.to_owned()))?;
        self.check_record(&enrollment)?;
        enrollment.template()
    }

    /// 1:1 with liveness: decides on a finished liveness [`Session`] (call
    /// [`Gallery::check_lock`] before starting it). A passed challenge is verified like [`Gallery::verify`] with the session's probe; a
    /// failed one is not live, no match, and counts as a failed attempt.
    pub async fn verify_live(&self, id: &str, session: &Session) -> Result<LiveVerification> {
        let report = session.report();
        let verification = match (report.outcome, session.probe()) {
            (Some(Outcome::Passed), Some(probe)) => Some(self.verify(id, probe).await?),
            (Some(_), _) => {
                self.check_and_record(id.into(), false).await?;
                None
            }
            (None, _) => return Err(Error::InvalidArgument("the liveness challenge has not finished".into())),
        };
        Ok(LiveVerification { is_live: verification.is_some(), verification, report })
    }

    /// 1:K sign-in with liveness: on a finished liveness [`Session`] (call
    /// [`Gallery::check_lock`] with [`AttemptKey::SignIn`] before starting it), identifies the
    /// session's probe with `options` when the challenge passed. Attempts are counted under
    /// [`AttemptKey::SignIn`]: a failed challenge or nobody recognised is a failure.
    pub async fn identify_live(&self, session: &Session, options: &IdentifyOptions) -> Result<LiveIdentification> {
        let report = session.report();
        let candidates = match (report.outcome, session.probe()) {
            (Some(Outcome::Passed), Some(probe)) => Some(self.identify_with(probe, options).await?),
            (Some(_), _) => None,
            (None, _) => return Err(Error::InvalidArgument("the liveness challenge has not finished".into())),
        };
        self.check_and_record(AttemptKey::SignIn, candidates.as_ref().is_some_and(|c| !c.is_empty())).await?;
        Ok(LiveIdentification { is_live: candidates.is_some(), candidates: candidates.unwrap_or_default(), report })
    }

    /// `LOCKED` (with the time left) while `key` (an id, or [`AttemptKey::SignIn`]) is locked:
    /// for entry points that count their own attempts (a liveness-checked verify, sign-in by
    /// identification).
    pub async fn check_lock<'k>(&self, key: impl Into<AttemptKey<'k>>) -> Result<()> {
        let key = key.into();
        self.store.attempts(key).await?.check(key, (self.clock)())
    }

    /// Counts an attempt for `key`: a failure counts towards the [`Lockout`], a success resets
    /// it. The state is stored before this returns (`STORAGE` if it cannot be).
    pub async fn record_attempt<'k>(&self, key: impl Into<AttemptKey<'k>>, success: bool) -> Result<()> {
        let now = (self.clock)();
        self.store.update_attempts(key.into(), |before| Ok(before.record(success, now, &self.lockout))).await?;
        Ok(())
    }

    /// In one atomic update of `key`'s state: `LOCKED` while it is locked (nothing counted),
    /// else the attempt counted.
    async fn check_and_record(&self, key: AttemptKey<'_>, success: bool) -> Result<()> {
        let now = (self.clock)();
        let count = |before: Attempts| {
            before.check(key, now)?;
            Ok(before.record(success, now, &self.lockout))
        };
        self.store.update_attempts(key, count).await?;
        Ok(())
    }

    /// 1:K ranking — up to `k` enrolled identities that the 1:1 rule accepts for `probe`, best
    /// first (ranked by the deciding value); empty when nobody passes (open-set rejection:
    /// "unknown"). A stranger's chance of passing grows with the gallery: sign in with
    /// [`Gallery::identify_with`] and [`IdentifyOptions::default`] instead.
    pub async fn identify(&self, probe: &Embedding, k: usize) -> Result<Vec<Candidate>> {
        self.identify_with(probe, &IdentifyOptions::ranking(k)).await
    }

    /// 1:K with options: the default signs in — the best candidate only, decided so that a
    /// stranger is taken for anyone at most at the target rate whatever the gallery size, and
    /// only when it beats the runner-up by a margin (see [`IdentifyOptions`]).
    pub async fn identify_with(&self, probe: &Embedding, options: &IdentifyOptions) -> Result<Vec<Candidate>> {
        self.identify_by(probe, None::<fn() -> Result<Embedding>>, options).await
    }

    /// 1:K on a probe embedded in two steps (see [`Probe`](crate::embed::Probe)): decided on
    /// `quick` when that answer cannot change ([`Acceptance::is_settled`](crate::far::Acceptance::is_settled): nobody can pass, or one
    /// candidate for sure and nobody near it), else on `complete()`, which then runs. Options as
    /// [`Gallery::identify_with`].
    pub async fn identify_in_steps(
        &self,
        quick: &Embedding,
        complete: impl FnOnce() -> Result<Embedding>,
        options: &IdentifyOptions,
    ) -> Result<Vec<Candidate>> {
        self.identify_by(quick, Some(complete), options).await
    }

    /// 1:K on `probe`, or, when `complete` is given and the answer on `probe` is not settled, on
    /// its result.
    async fn identify_by(
        &self,
        probe: &Embedding,
        complete: Option<impl FnOnce() -> Result<Embedding>>,
        options: &IdentifyOptions,
    ) -> Result<Vec<Candidate>> {
        if let Some(dim) = self.dim.filter(|&d| d != probe.as_slice().len()) {
            return Err(Error::InvalidArgument(format!(
                "the probe has {} values, this model's embeddings {dim}",
                probe.as_slice().len()
            )));
        }
        let templates = self.templates().await?;
        let acceptance = options.acceptance(&self.rule, &self.model_sha256, templates.len())?;
        let score = |probe: &Embedding| {
            templates
                .iter()
                .map(|(id, t)| Ok((id.to_string(), self.rule.decide(t, probe)?)))
                .collect::<Result<Vec<_>>>()
        };
        let mut scored = score(probe)?;
        if let Some(complete) = complete.filter(|_| !acceptance.is_settled(&self.rule, &scored)) {
            scored = score(&complete()?)?;
        }
        Ok(acceptance.select(scored, options.k))
    }

    /// The usable enrollments' templates, from the cache while the store's revision is the one
    /// they were made at.
    async fn templates(&self) -> Result<Arc<Templates>> {
        let cache = || self.templates.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let revision = self.store.revision().await?;
        if let Some((_, templates)) = cache().as_ref().filter(|(r, _)| *r == revision) {
            return Ok(templates.clone());
        }
        // A write after the revision was read is seen here, under the older revision: the next
        // call reloads.
        let all = self.list().await?.enrollments;
        let templates = Arc::new(all.iter().map(|e| Ok((e.id().to_owned(), e.template()?))).collect::<Result<_>>()?);
        *cache() = Some((revision, Arc::clone(&templates)));
        Ok(templates)
    }

    /// Every usable enrollment, in id order, and the records left out, which verify refuses by
    /// id and identify skips: unreadable or invalid (`INVALID_TEMPLATE`: damaged, not of this
    /// model's embedding length, more shots than [`Limits::max_shots`]), or made by another
    /// model (`MODEL_MISMATCH`).
    pub async fn list(&self) -> Result<Loaded> {
        let Loaded { enrollments, mut damaged } = self.store.load().await?;
        let mut usable = Vec::with_capacity(enrollments.len());
        for e in enrollments {
            match self.check_record(&e) {
                Ok(()) => usable.push(e),
                Err(err) => damaged.push(Damaged::new(e.id(), &err)),
            }
        }
        damaged.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(Loaded { enrollments: usable, damaged })
    }

    /// Removes `id` (usable or damaged) and its attempt state; `false` when it was not enrolled.
    pub async fn remove(&self, id: &str) -> Result<bool> {
        self.store.remove(id).await
    }

    /// Removes everybody, and all attempt state.
    pub async fn clear(&self) -> Result<()> {
        self.store.clear().await
    }

    /// Every usable enrollment in the versioned gallery format (see [`template::to_bytes`]);
    /// damaged records (see [`Gallery::list`]) are left out.
    pub async fn export(&self) -> Result<Vec<u8>> {
        Ok(template::to_bytes(&self.list().await?.enrollments))
    }

    /// Adds the enrollments of an export (or gallery file), all or nothing: refuses enrollments
    /// of another model (`MODEL_MISMATCH`) and damaged files (`INVALID_TEMPLATE`: unreadable, an
    /// embedding not finite or not of unit length, shots of two lengths or cancelling out, not of
    /// this model's length, more shots than [`Limits::max_shots`], an empty or overlong id, or
    /// more ids than [`Limits::max_ids`] once merged) before writing anything. Returns how many
    /// were imported.
    pub async fn import(&self, bytes: &[u8], mode: ImportMode) -> Result<usize> {
        let enrollments = template::from_bytes(bytes)?;
        enrollments.iter().try_for_each(|e| e.check_model(&self.model_sha256))?;
        enrollments.iter().try_for_each(|e| self.check_record(e))?;
        // The id cap is checked by the store in the same atomic step as the write.
        self.store.put_all(&enrollments, mode == ImportMode::Replace, self.limits.max_ids).await?;
        Ok(enrollments.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rule::Threshold;
    use crate::store::MemoryStore;
    use pollster::block_on;

    fn e(v: &[f32]) -> Embedding {
        Embedding::new(v.to_vec()).unwrap()
    }

    fn gallery() -> Gallery<MemoryStore> {
        let g = Gallery::new(MemoryStore::new(), "sha", Rule::Cosine(Threshold::custom(0.5).unwrap())).unwrap();
        block_on(g.enroll("alice", vec![e(&[1.0, 0.0, 0.0])])).unwrap();
        block_on(g.enroll("bob", vec![e(&[0.0, 1.0, 0.0]), e(&[0.2, 1.0, 0.0])])).unwrap();
        g
    }

    #[test]
    fn verify_compares_with_the_mean_of_the_shots() {
        let g = gallery();
        let v = block_on(g.verify("alice", &e(&[1.0, 0.1, 0.0]))).unwrap();
        assert!(v.is_match && v.similarity > 0.99 && v.threshold == 0.5 && v.probability.is_none(), "{v:?}");
        assert!(!block_on(g.verify("alice", &e(&[0.0, 0.0, 1.0]))).unwrap().is_match);
        let bob = block_on(g.verify("bob", &e(&[0.1, 1.0, 0.0]))).unwrap();
        assert!(bob.similarity > 0.999, "{bob:?}");
        let unknown = block_on(g.verify("carol", &e(&[1.0, 0.0, 0.0])));
        assert!(matches!(unknown, Err(Error::UnknownIdentity(id)) if id == "carol"));
    }

    #[test]
    fn a_quick_probe_decides_alone_only_when_clear() {
        let g = gallery(); // cosine threshold 0.5, alice = [1, 0, 0]
        let completed = std::cell::Cell::new(0);
        let complete = |v: &[f32]| {
            completed.set(completed.get() + 1);
            Ok(e(v))
        };
        // Clear either way: the full embedding is never made, even when it would decide otherwise.
        let clear_yes = block_on(g.verify_in_steps("alice", &e(&[1.0, 0.1, 0.0]), || complete(&[0.0, 1.0, 0.0])));
        let clear_no = block_on(g.verify_in_steps("alice", &e(&[0.0, 1.0, 0.0]), || complete(&[1.0, 0.0, 0.0])));
        assert!(clear_yes.unwrap().is_match && !clear_no.unwrap().is_match && completed.get() == 0);
        // Cosine 0.55, within the margin of 0.5: the full embedding decides.
        let near = e(&[0.55, (1.0f32 - 0.55 * 0.55).sqrt(), 0.0]);
        let v = block_on(g.verify_in_steps("alice", &near, || complete(&[0.0, 0.0, 1.0]))).unwrap();
        assert!(!v.is_match && v.similarity.abs() < 1e-6 && completed.get() == 1, "{v:?}");
        let failed = block_on(g.verify_in_steps("alice", &near, || Err(Error::NoFace)));
        assert!(matches!(failed, Err(Error::NoFace)));
    }

    #[test]
    fn identify_ranks_and_rejects_unknowns() {
        let g = gallery();
        let ranked = block_on(g.identify(&e(&[1.0, 0.9, 0.0]), 5)).unwrap();
        assert_eq!(ranked.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(), ["alice", "bob"]);
        assert_eq!(block_on(g.identify(&e(&[1.0, 0.9, 0.0]), 1)).unwrap().len(), 1);
        assert!(block_on(g.identify(&e(&[0.0, 0.0, 1.0]), 3)).unwrap().is_empty());
        assert!(block_on(g.identify(&e(&[0.0, 0.0, 1.0]), 0)).is_err());
    }

    #[test]
    fn identify_reuses_the_templates_until_a_write() {
        let g = gallery();
        let carol = e(&[0.0, 0.0, 1.0]);
        let cached = || g.templates.lock().unwrap().as_ref().map(|(r, t)| (*r, Arc::as_ptr(t)));
        assert!(block_on(g.identify(&carol, 3)).unwrap().is_empty());
        let first = cached();
        assert!(block_on(g.identify(&carol, 3)).unwrap().is_empty());
        assert!(first.is_some() && cached() == first, "the same templates, not recomputed");
        block_on(g.enroll("carol", vec![carol.clone()])).unwrap();
        assert_eq!(block_on(g.identify(&carol, 3)).unwrap()[0].id, "carol", "a write is seen");
        assert_ne!(cached(), first);
        block_on(g.remove("carol")).unwrap();
        assert!(block_on(g.identify(&carol, 3)).unwrap().is_empty(), "so is a removal");
    }

    #[test]
    fn a_quick_identify_stands_only_when_settled() {
        let g = gallery(); // cosine threshold 0.5, alice = [1, 0, 0], bob about [0.1, 1, 0]
        let completed = std::cell::Cell::new(0);
        let complete = |v: &[f32]| {
            completed.set(completed.get() + 1);
            Ok(e(v))
        };
        let ranking = IdentifyOptions::ranking(3);
        let ids = |c: Vec<Candidate>| c.into_iter().map(|c| c.id).collect::<Vec<_>>();
        // Alice for sure, bob far below; and nobody near: the full embedding is never made.
        let alice = block_on(g.identify_in_steps(&e(&[1.0, 0.0, 0.05]), || complete(&[0.0, 0.0, 1.0]), &ranking));
        let nobody = block_on(g.identify_in_steps(&e(&[0.0, 0.0, 1.0]), || complete(&[1.0, 0.0, 0.0]), &ranking));
        assert_eq!(
            (ids(alice.unwrap()), ids(nobody.unwrap()), completed.get()),
            (vec!["alice".to_string()], vec![], 0)
        );
        // Cosine 0.55 with alice, within the margin of 0.5: the full embedding decides, as
        // identify_with on it would.
        let near = e(&[0.55, 0.0, (1.0f32 - 0.55 * 0.55).sqrt()]);
        let full = [0.1, 1.0, 0.0];
        let two_step = block_on(g.identify_in_steps(&near, || complete(&full), &ranking)).unwrap();
        assert_eq!((two_step.clone(), completed.get()), (block_on(g.identify_with(&e(&full), &ranking)).unwrap(), 1));
        assert_eq!(ids(two_step), ["bob"]);
        let failed = block_on(g.identify_in_steps(&near, || Err(Error::NoFace), &ranking));
        assert!(matches!(failed, Err(Error::NoFace)));
    }

    #[test]
    fn enroll_validates_and_leaves_state_alone_on_error() {
        let g = gallery();
        let before = block_on(g.list()).unwrap();
        assert!(block_on(g.enroll("", vec![e(&[1.0, 0.0, 0.0])])).is_err());
        assert!(block_on(g.enroll("carol", vec![])).is_err());
        assert!(block_on(g.enroll("alice", vec![e(&[1.0, 0.0])])).is_err());
        assert_eq!(block_on(g.list()).unwrap(), before);
        assert!(block_on(g.enroll("alice", vec![])).is_err());
        assert_eq!(block_on(g.list()).unwrap(), before);
        assert_eq!(block_on(g.enroll("alice", vec![e(&[1.0, 0.2, 0.0])])).unwrap().shots().len(), 2);
        assert!(block_on(g.remove("alice")).unwrap() && !block_on(g.remove("alice")).unwrap());
        assert!(Threshold::custom(1.5).is_err());
    }

    #[test]
    fn foreign_enrollments_and_heads_are_refused() {
        let g = gallery();
        let foreign = Enrollment::new("mallory", "other", vec![e(&[1.0, 0.0, 0.0])], 0.0).unwrap();
        block_on(g.store().put(&foreign)).unwrap();
        assert!(matches!(block_on(g.verify("mallory", &e(&[1.0, 0.0, 0.0]))), Err(Error::ModelMismatch { .. })));
        assert!(matches!(block_on(g.enroll("mallory", vec![e(&[1.0, 0.0, 0.0])])), Err(Error::ModelMismatch { .. })));
        let listed = block_on(g.list()).unwrap();
        assert_eq!(listed.enrollments.iter().map(|e| e.id()).collect::<Vec<_>>(), ["alice", "bob"]);
        assert_eq!((listed.damaged[0].id.as_str(), listed.damaged[0].code.as_str()), ("mallory", "MODEL_MISMATCH"));
        assert!(listed.damaged[0].reason.contains("other"), "{:?}", listed.damaged);
        let who = block_on(g.identify(&e(&[1.0, 0.0, 0.0]), 3)).unwrap();
        assert_eq!(who.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(), ["alice"], "mallory is skipped");
        assert!(!String::from_utf8(block_on(g.export()).unwrap()).unwrap().contains("mallory"));
        assert!(block_on(g.remove("mallory")).unwrap());
        assert!(block_on(g.list()).unwrap().damaged.is_empty());
        let bytes = crate::template::to_bytes(&[foreign]);
        let fresh = Gallery::new(MemoryStore::new(), "sha", Rule::cosine_for(EmbedderModel::MobileFaceNet)).unwrap();
        assert!(matches!(block_on(fresh.import(&bytes, ImportMode::Merge)), Err(Error::ModelMismatch { .. })));
        assert!(block_on(fresh.list()).unwrap().enrollments.is_empty());
        assert!(matches!(
            Gallery::new(MemoryStore::new(), "sha", Rule::bundled().unwrap()),
            Err(Error::ModelMismatch { .. })
        ));
    }

    #[test]
    fn a_shot_of_somebody_else_and_the_caps_are_refused() {
        let g = gallery().with_limits(Limits { max_shots: 3, max_ids: 3 });
        let before = block_on(g.list()).unwrap();
        let poisoned = block_on(g.enroll("alice", vec![e(&[0.0, 0.0, 1.0])]));
        assert!(matches!(poisoned, Err(Error::Mismatch(ref id)) if id == "alice"), "{poisoned:?}");
        let mixed = block_on(g.enroll("carol", vec![e(&[0.0, 0.0, 1.0]), e(&[1.0, 0.0, 0.0])]));
        assert!(matches!(mixed, Err(Error::Mismatch(_))), "{mixed:?}");
        assert_eq!(block_on(g.list()).unwrap(), before, "nothing written");
        assert_eq!(block_on(g.enroll("alice", vec![e(&[1.0, 0.1, 0.0])])).unwrap().shots().len(), 2);
        assert_eq!(block_on(g.enroll("alice", vec![e(&[1.0, 0.0, 0.1])])).unwrap().shots().len(), 3);
        assert!(matches!(block_on(g.enroll("alice", vec![e(&[1.0, 0.0, 0.0])])), Err(Error::Limit(_))));
        block_on(g.enroll("carol", vec![e(&[0.0, 0.0, 1.0])])).unwrap();
        assert!(matches!(block_on(g.enroll("dave", vec![e(&[0.0, 0.0, 1.0])])), Err(Error::Limit(_))));
        let long = "x".repeat(crate::template::MAX_ID_BYTES + 1);
        assert!(matches!(block_on(g.enroll(&long, vec![e(&[0.0, 0.0, 1.0])])), Err(Error::Limit(_))));
        assert_eq!(block_on(g.list()).unwrap().enrollments.len(), 3);
    }

    #[test]
    fn export_and_import_round_trip() {
        let g = gallery();
        let bytes = block_on(g.export()).unwrap();
        let other = Gallery::new(MemoryStore::new(), "sha", Rule::cosine_for(EmbedderModel::MobileFaceNet)).unwrap();
        block_on(other.enroll("zoe", vec![e(&[0.0, 0.0, 1.0])])).unwrap();
        assert_eq!(block_on(other.import(&bytes, ImportMode::Merge)).unwrap(), 2);
        assert_eq!(block_on(other.list()).unwrap().enrollments.len(), 3);
        assert_eq!(block_on(other.import(&bytes, ImportMode::Replace)).unwrap(), 2);
        assert_eq!(block_on(other.list()).unwrap(), block_on(g.list()).unwrap());
        assert!(matches!(block_on(other.import(b"{}", ImportMode::Replace)), Err(Error::InvalidTemplate(_))));
        assert_eq!(block_on(other.list()).unwrap().enrollments.len(), 2);
    }

    #[test]
    fn a_tampered_import_is_refused_whole() {
        let g = gallery().with_dimension(3).unwrap().with_limits(Limits { max_shots: 2, max_ids: 3 });
        let good = String::from_utf8(block_on(g.export()).unwrap()).unwrap();
        // One value cut from alice's shot: still of unit length, so only the model's length tells.
        assert!(good.contains("[1.0,0.0,0.0]"), "{good}");
        let cut = good.replace("[1.0,0.0,0.0]", "[1.0,0.0]");
        let three_shots = good.replace("[1.0,0.0,0.0]", "[1.0,0.0,0.0],[1.0,0.0,0.0],[1.0,0.0,0.0]");
        let other = || {
            let other = Gallery::new(MemoryStore::new(), "sha", Rule::cosine_for(EmbedderModel::MobileFaceNet))
                .unwrap()
                .with_dimension(3)
                .unwrap();
            let other = other.with_limits(Limits { max_shots: 2, max_ids: 3 });
            block_on(other.enroll("zoe", vec![e(&[0.0, 0.0, 1.0])])).unwrap();
            other
        };
        for (bad, mode) in [
            (cut.clone(), ImportMode::Merge),
            (cut, ImportMode::Replace),
            (three_shots, ImportMode::Replace),
            (good.replace("[1.0,0.0,0.0]", "[1.0,0.0,NaN]"), ImportMode::Merge),
            (good.replace("[1.0,0.0,0.0]", "[0.0,0.0,0.0]"), ImportMode::Merge),
        ] {
            let other = other();
            let before = block_on(other.list()).unwrap();
            let refused = block_on(other.import(bad.as_bytes(), mode));
            assert!(matches!(refused, Err(Error::InvalidTemplate(_))), "{refused:?} {bad}");
            assert_eq!(block_on(other.list()).unwrap(), before, "nothing written");
        }
        // Three ids at most: alice and bob with zoe fit; with yann too they do not.
        let other = other();
        assert_eq!(block_on(other.import(good.as_bytes(), ImportMode::Merge)).unwrap(), 2);
        let full = block_on(other.list()).unwrap();
        let yann = Enrollment::new("yann", "sha", vec![e(&[0.0, 1.0, 1.0])], 0.0).unwrap();
        let one_more = template::to_bytes(std::slice::from_ref(&yann));
        assert!(matches!(block_on(other.import(&one_more, ImportMode::Merge)), Err(Error::InvalidTemplate(_))));
        assert_eq!(block_on(other.list()).unwrap(), full, "nothing written");
        assert_eq!(block_on(other.import(&one_more, ImportMode::Replace)).unwrap(), 1);
        assert_eq!(block_on(other.list()).unwrap().enrollments, [yann]);
    }

    #[test]
    fn bad_stored_records_are_skipped_and_reported() {
        use crate::model::bundled;
        // The bundled head's embeddings have 192 values; a record of 191 once made every
        // identify fail for everybody.
        let g = Gallery::new(MemoryStore::new(), bundled::mobilefacenet_sha256(), Rule::bundled().unwrap()).unwrap();
        let g = g.with_limits(Limits { max_shots: 2, max_ids: 10 });
        assert_eq!(g.dimension(), Some(192));
        let person = |seed: u64| {
            let value = |i: u64| {
                let x = (i + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ seed.wrapping_mul(0xd1b5_4a32_d192_ed03);
                (x.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 40) as f32 / (1u64 << 24) as f32 - 0.5
            };
            e(&(0..192).map(value).collect::<Vec<_>>())
        };
        block_on(g.enroll("alice", vec![person(1)])).unwrap();
        block_on(g.enroll("bob", vec![person(2)])).unwrap();
        let sha = bundled::mobilefacenet_sha256();
        let short = Enrollment::new("cut", sha, vec![e(&person(3).as_slice()[..191])], 0.0).unwrap();
        let many = Enrollment::new("many", sha, vec![person(4); 3], 0.0).unwrap();
        block_on(g.store().put(&short)).unwrap();
        block_on(g.store().put(&many)).unwrap();
        let listed = block_on(g.list()).unwrap();
        assert_eq!(listed.enrollments.iter().map(|e| e.id()).collect::<Vec<_>>(), ["alice", "bob"]);
        let damaged: Vec<(&str, &str)> = listed.damaged.iter().map(|d| (d.id.as_str(), d.code.as_str())).collect();
        assert_eq!(damaged, [("cut", "INVALID_TEMPLATE"), ("many", "INVALID_TEMPLATE")]);
        for id in ["cut", "many"] {
            assert!(matches!(block_on(g.verify(id, &person(3))), Err(Error::InvalidTemplate(_))), "{id}");
        }
        assert!(block_on(g.verify("alice", &person(1))).unwrap().is_match);
        for (who, seed) in [("alice", 1), ("bob", 2)] {
            let found = block_on(g.identify_with(&person(seed), &IdentifyOptions::default())).unwrap();
            assert_eq!(found.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(), [who]);
        }
        assert!(block_on(g.identify_with(&person(3), &IdentifyOptions::default())).unwrap().is_empty());
        let wrong = e(&person(1).as_slice()[..191]);
        assert!(matches!(block_on(g.identify(&wrong, 1)), Err(Error::InvalidArgument(_))));
        assert!(!String::from_utf8(block_on(g.export()).unwrap()).unwrap().contains("\"cut\""));
        assert!(block_on(g.remove("cut")).unwrap() && block_on(g.remove("many")).unwrap());
        assert!(block_on(g.list()).unwrap().damaged.is_empty());
        assert!(g.with_dimension(128).is_err(), "the head's input is 192");
    }
}
