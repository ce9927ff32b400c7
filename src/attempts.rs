//! Attempt limits: failed verifications in a row per id (or any other key) and the lockout they
//! earn. [`Attempts`] is the state a [`crate::Store`] keeps per key; [`Lockout`] is the policy.
//! Both functions take the time as an argument (ms since the epoch): the gallery passes its
//! clock, tests pass any instant.

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};

/// Whose failed attempts are counted: one enrolled id, or sign-in by identification (all ids
/// together). Stores file them under [`AttemptKey::storage_key`], a key space of its own that no
/// id (not even `""`) can reach, so removing an id never touches sign-in's lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptKey<'a> {
    /// Verification of this id.
    Id(&'a str),
    /// Sign-in by identification.
    SignIn,
}

impl<'a> From<&'a str> for AttemptKey<'a> {
    fn from(id: &'a str) -> Self {
        AttemptKey::Id(id)
    }
}

impl AttemptKey<'_> {
    /// The key a store files the state under: `id:` and the id, or `sign-in` (no colon, so it
    /// is no id's).
    pub fn storage_key(&self) -> String {
        match self {
            AttemptKey::Id(id) => format!("id:{id}"),
            AttemptKey::SignIn => "sign-in".to_owned(),
        }
    }

    /// What a `LOCKED` error names: the id, or `""` for sign-in by identification.
    pub fn locked_name(&self) -> &str {
        match self {
            AttemptKey::Id(id) => id,
            AttemptKey::SignIn => "",
        }
    }
}

/// How many failures in a row lock a key, and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lockout {
    /// Failures in a row that lock the key (at least 1).
    pub max_failures: u32,
    /// The first lock's length in ms; each further lock (without a success between) doubles it.
    pub lock_ms: u64,
}

impl Default for Lockout {
    /// 5 failures in a row lock for 30 s, then 60 s, 120 s, ...
    fn default() -> Self {
        Lockout { max_failures: 5, lock_ms: 30_000 }
    }
}

impl Lockout {
    /// Length of the lock after `lockouts` earlier ones: `lock_ms` doubled that many times
    /// (saturating).
    pub fn lock_length_ms(&self, lockouts: u32) -> u64 {
        self.lock_ms.saturating_mul(1u64.checked_shl(lockouts).unwrap_or(u64::MAX))
    }
}

/// The persisted attempt state of one key; the default (no failures, never locked) is what a
/// store holds when it holds nothing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Attempts {
    /// Failures since the last success or lock.
    pub failures: u32,
    /// Locks since the last success (each doubles the next).
    pub lockouts: u32,
    /// End of the current lock, ms since the epoch (0: never locked).
    pub locked_until: f64,
}

impl Attempts {
    /// Milliseconds left of the lock at `now`; `None` when not locked.
    pub fn retry_after_ms(&self, now: f64) -> Option<u64> {
        (self.locked_until > now).then(|| (self.locked_until - now).ceil() as u64)
    }

    /// `LOCKED` (with the time left) when `key` is locked at `now`.
    pub fn check(&self, key: AttemptKey<'_>, now: f64) -> Result<()> {
        match self.retry_after_ms(now) {
            Some(retry_after_ms) => Err(Error::Locked { id: key.locked_name().to_owned(), retry_after_ms }),
            None => Ok(()),
        }
    }

    /// The state after an attempt at `now`: a success resets everything; a failure counts, and
    /// the `max_failures`-th in a row locks the key for [`Lockout::lock_length_ms`].
    pub fn record(self, success: bool, now: f64, policy: &Lockout) -> Attempts {
        if success {
            return Attempts::default();
        }
        let failures = self.failures.saturating_add(1);
        if failures < policy.max_failures.max(1) {
            return Attempts { failures, ..self };
        }
        let lock = policy.lock_length_ms(self.lockouts) as f64;
        Attempts { failures: 0, lockouts: self.lockouts.saturating_add(1), locked_until: now + lock }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fail(state: Attempts, now: f64, times: u32) -> Attempts {
        (0..times).fold(state, |s, _| s.record(false, now, &Lockout::default()))
    }

    #[test]
    fn five_failures_lock_for_30_s_then_60_s_then_120_s() {
        let four = fail(Attempts::default(), 1000.0, 4);
        assert_eq!(four, Attempts { failures: 4, lockouts: 0, locked_until: 0.0 });
        assert!(four.check("a".into(), 1000.0).is_ok());
        let mut state = fail(four, 1000.0, 1);
        let mut now = 1000.0;
        for (lock, expected) in [(1, 30_000), (2, 60_000), (3, 120_000)] {
            assert_eq!(state.lockouts, lock);
            assert_eq!(state.retry_after_ms(now), Some(expected));
            let err = state.check("alice".into(), now + 0.5).unwrap_err();
            assert!(
                matches!(&err, Error::Locked { id, retry_after_ms } if id == "alice" && *retry_after_ms == expected)
            );
            assert_eq!(state.retry_after_ms(now + expected as f64), None, "the lock ends on time");
            now += expected as f64;
            state = fail(state, now, 5);
        }
    }

    #[test]
    fn no_id_reaches_the_sign_in_key() {
        let ids = ["", "sign-in", "id:", "id:sign-in", ":sign-in"];
        assert!(ids.iter().all(|id| AttemptKey::Id(id).storage_key() != AttemptKey::SignIn.storage_key()));
        assert_eq!(AttemptKey::Id("").storage_key(), "id:");
        let locked = fail(Attempts::default(), 0.0, 5).check(AttemptKey::SignIn, 1.0).unwrap_err();
        assert!(matches!(locked, Error::Locked { ref id, .. } if id.is_empty()), "{locked:?}");
    }

    #[test]
    fn a_success_resets_and_the_policy_is_configurable() {
        let locked = fail(Attempts::default(), 0.0, 5);
        assert_eq!(locked.record(true, 1.0, &Lockout::default()), Attempts::default());
        let strict = Lockout { max_failures: 2, lock_ms: 1000 };
        let state = Attempts::default().record(false, 0.0, &strict).record(false, 0.0, &strict);
        assert_eq!(state.retry_after_ms(10.0), Some(990));
        assert_eq!(Lockout { max_failures: 5, lock_ms: u64::MAX / 2 }.lock_length_ms(70), u64::MAX);
        let once = Lockout { max_failures: 0, lock_ms: 10 };
        assert_eq!(Attempts::default().record(false, 0.0, &once).lockouts, 1, "0 counts as 1");
    }
}
