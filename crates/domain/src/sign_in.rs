//! Slowing down password guessing: after [`MAX_FAILURES`] wrong passwords for one username
//! within [`WINDOW`], that username is refused for [`LOCKOUT`] after each further failure.
//!
//! OWASP Authentication Cheat Sheet ("Account lockout"): lock for a short time rather than
//! until an administrator acts, so that someone who types a handler's username wrongly on
//! purpose cannot keep the handler out of the console through a night shift. Five minutes
//! makes guessing a strong password hopeless (one guess per five minutes) while a handler who
//! mistypes five times is back in before the next call is long waiting.

use jiff::{SignedDuration, Timestamp};

pub const MAX_FAILURES: usize = 5;
pub const WINDOW: SignedDuration = SignedDuration::from_mins(15);
pub const LOCKOUT: SignedDuration = SignedDuration::from_mins(5);

/// Recent failed sign-ins for one username.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FailedSignIns {
    recent: Vec<Timestamp>,
}

impl FailedSignIns {
    fn within_window(&self, now: Timestamp) -> impl Iterator<Item = &Timestamp> {
        self.recent
            .iter()
            .filter(move |t| now.duration_since(**t) < WINDOW)
    }

    /// Until when sign-in is refused, if it is now.
    pub fn locked_until(&self, now: Timestamp) -> Option<Timestamp> {
        if self.within_window(now).count() < MAX_FAILURES {
            return None;
        }
        let until = self.recent.iter().max()?.checked_add(LOCKOUT).ok()?;
        (until > now).then_some(until)
    }

    /// A wrong password at `at`. Failures older than the window are forgotten.
    pub fn fail(&mut self, at: Timestamp) {
        self.recent.retain(|t| at.duration_since(*t) < WINDOW);
        self.recent.push(at);
    }

    /// The latest failure, if any.
    pub fn latest(&self) -> Option<Timestamp> {
        self.recent.iter().max().copied()
    }

    /// Nothing left to remember: every failure is older than the window.
    pub fn forgotten(&self, now: Timestamp) -> bool {
        self.within_window(now).next().is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(minute: i64) -> Timestamp {
        Timestamp::from_second(1_795_400_000 + minute * 60).unwrap()
    }

    #[test]
    fn four_failures_do_not_lock_the_fifth_does() {
        let mut f = FailedSignIns::default();
        for m in 0..4 {
            f.fail(at(m));
        }
        assert_eq!(f.locked_until(at(4)), None);
        f.fail(at(4));
        assert_eq!(f.locked_until(at(4)), Some(at(9)));
        assert_eq!(f.locked_until(at(8)), Some(at(9)));
        assert_eq!(f.locked_until(at(9)), None, "the lock is short");
    }

    #[test]
    fn each_failure_while_still_suspect_locks_again_then_the_window_forgets() {
        let mut f = FailedSignIns::default();
        for m in 0..5 {
            f.fail(at(m));
        }
        f.fail(at(10));
        assert_eq!(f.locked_until(at(10)), Some(at(15)));
        // Fifteen minutes after the first failures, only one recent failure is left.
        f.fail(at(20));
        assert_eq!(f.locked_until(at(20)), None);
        assert!(!f.forgotten(at(30)));
        assert!(f.forgotten(at(36)));
    }

    #[test]
    fn failures_spread_over_more_than_the_window_never_lock() {
        let mut f = FailedSignIns::default();
        for m in 0..20 {
            f.fail(at(m * 4));
            assert_eq!(f.locked_until(at(m * 4)), None);
        }
    }
}
