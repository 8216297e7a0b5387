//! Slowing down password guessing, by username and by client address, without letting an
//! attacker lock the real handler out.
//!
//! The rules (OWASP Authentication Cheat Sheet, "Account lockout" and "Protect against
//! automated attacks"):
//!
//! - **By name:** after [`MAX_FAILURES`] wrong passwords for one username within [`WINDOW`],
//!   that username is refused for [`LOCKOUT`] after each further failure. The lock is short
//!   rather than "until an administrator acts": one guess per five minutes makes guessing a
//!   strong password hopeless, and a handler who mistypes five times is back in before the
//!   next call is long waiting.
//! - **By address:** after [`ADDRESS_MAX_FAILURES`] wrong passwords from one client address
//!   within [`WINDOW`], whatever the names, that address is refused for [`ADDRESS_LOCKOUT`]
//!   after each further failure, so one machine cannot spray guesses across many names.
//! - **A proven address is not locked out by others:** an address from which the name signed
//!   in successfully within [`KNOWN_ADDRESS_FOR`] (the handler's own console) counts only the
//!   failures for that name *from that address*. Someone elsewhere typing the handler's name
//!   five times at 3 a.m. locks the name for everyone else, not for the handler at their desk;
//!   and someone at the handler's desk still gets only five guesses per window.
//!
//! An attempt is counted as a failure *before* its password is checked (and taken back on
//! success), so parallel guesses cannot all pass the check before any of them is counted.
//! Refused attempts are not counted: no password was tried.
//!
//! **What is audited** (the Cheat Sheet's "log failures" without letting a flood of guesses
//! flood the audit chain): the *first* failure for a name from an address within [`WINDOW`],
//! and the failure that *starts a lock* (name or address) when no lock of that kind was
//! started within the window before. Further failures and refusals are not audited one by
//! one (they go to the server log): the lock record says that they happen, and a lock renewed
//! guess after guess is one episode. So 50 wrong passwords for one name from one address give
//! two audit records, and spraying names from one address gives at most one per name plus
//! one for the lock before that address is refused.
//!
//! Pure: the caller reads the recent failures from the database and passes the time in.

use jiff::{SignedDuration, Timestamp};

/// Wrong passwords for one name within [`WINDOW`] that lock it.
pub const MAX_FAILURES: usize = 5;
/// How long a failure is remembered.
pub const WINDOW: SignedDuration = SignedDuration::from_mins(15);
/// How long a name is refused after the failure that locked it.
pub const LOCKOUT: SignedDuration = SignedDuration::from_mins(5);
/// Wrong passwords from one client address within [`WINDOW`], any names, that lock it. High
/// enough for a control room's consoles sharing one address (whose handlers sign in from a
/// proven address and are not held by it), low enough that 100 guesses are not possible.
pub const ADDRESS_MAX_FAILURES: usize = 20;
/// How long an address is refused after the failure that locked it.
pub const ADDRESS_LOCKOUT: SignedDuration = SignedDuration::from_mins(15);
/// How long a successful sign-in proves that an address knows the name's password.
pub const KNOWN_ADDRESS_FOR: SignedDuration = SignedDuration::from_hours(14 * 24);

/// One recent failed sign-in, as it relates to the attempt being decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecentFailure {
    pub at: Timestamp,
    /// For the same username, and not cleared since by a successful sign-in.
    pub same_name: bool,
    /// From the same client address.
    pub same_address: bool,
}

/// What is locked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lock {
    /// The username (from this address, or from anywhere but a proven address).
    Name,
    /// The client address, for names it has not proven it knows.
    Address,
}

/// A refusal: the lock that applies and until when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refusal {
    pub lock: Lock,
    pub until: Timestamp,
}

/// What to do with an attempt, decided before its password is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Refuse without checking the password.
    Refuse(Refusal),
    /// Count the attempt as a failure now and check the password; if it is wrong, audit as
    /// [`IfWrong`] says.
    Try(IfWrong),
}

/// What a wrong password on an attempt that was tried means for the audit trail: the first
/// failure of the window is recorded, and a lock when it starts afresh (none started within
/// the window before: a lock renewed by guess after guess is one episode, one record).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IfWrong {
    /// The first failure for this name from this address within the window.
    pub audit_failure: bool,
    /// The lock this failure starts, if it does.
    pub starts: Option<Refusal>,
}

/// How far back the caller must pass failures: a lock's start is recorded once per window,
/// and telling whether one was in force during the last window looks one window further.
pub const LOOK_BACK: SignedDuration = SignedDuration::from_mins(2 * 15);

/// Decide an attempt at `now`, given the failures within [`LOOK_BACK`] for this name or from
/// this address, and whether the address proved it knows the name's password within
/// [`KNOWN_ADDRESS_FOR`].
pub fn decide(failures: &[RecentFailure], known_address: bool, now: Timestamp) -> Decision {
    if let Some(refusal) = refusal(failures, known_address, now) {
        return Decision::Refuse(refusal);
    }
    let first = !recent(failures, now).any(|f| f.same_name && f.same_address);
    let mut with_this = failures.to_vec();
    with_this.push(RecentFailure {
        at: now,
        same_name: true,
        same_address: true,
    });
    let starts = rules(known_address)
        .iter()
        .filter(|rule| !locked_within_window(rule, failures, now))
        .filter_map(|rule| {
            until(rule, &with_this, now).map(|until| Refusal {
                lock: rule.lock,
                until,
            })
        })
        .max_by_key(|r| r.until);
    Decision::Try(IfWrong {
        audit_failure: first,
        starts,
    })
}

fn recent(failures: &[RecentFailure], now: Timestamp) -> impl Iterator<Item = &RecentFailure> {
    failures
        .iter()
        .filter(move |f| now.duration_since(f.at) < WINDOW)
}

/// One kind of lock: `max` of the recent failures that `counts` selects lock until the latest
/// of them plus `lockout`.
struct Rule {
    lock: Lock,
    counts: fn(&RecentFailure) -> bool,
    max: usize,
    lockout: SignedDuration,
}

fn rules(known_address: bool) -> &'static [Rule] {
    const PAIR: Rule = Rule {
        lock: Lock::Name,
        counts: |f| f.same_name && f.same_address,
        max: MAX_FAILURES,
        lockout: LOCKOUT,
    };
    const NAME: Rule = Rule {
        lock: Lock::Name,
        counts: |f| f.same_name,
        max: MAX_FAILURES,
        lockout: LOCKOUT,
    };
    const ADDRESS: Rule = Rule {
        lock: Lock::Address,
        counts: |f| f.same_address,
        max: ADDRESS_MAX_FAILURES,
        lockout: ADDRESS_LOCKOUT,
    };
    if known_address {
        &[PAIR]
    } else {
        &[NAME, ADDRESS]
    }
}

/// Until when `rule` refuses an attempt at `now`, if it does.
fn until(rule: &Rule, failures: &[RecentFailure], now: Timestamp) -> Option<Timestamp> {
    let counted: Vec<Timestamp> = recent(failures, now)
        .filter(|f| (rule.counts)(f))
        .map(|f| f.at)
        .collect();
    if counted.len() < rule.max {
        return None;
    }
    let until = counted.iter().max()?.checked_add(rule.lockout).ok()?;
    (until > now).then_some(until)
}

/// Whether one of `failures` within the window before `now` started (or renewed) a lock under
/// `rule`: then a further lock is the same episode, already on record.
fn locked_within_window(rule: &Rule, failures: &[RecentFailure], now: Timestamp) -> bool {
    recent(failures, now).filter(|f| (rule.counts)(f)).any(|f| {
        failures
            .iter()
            .filter(|g| (rule.counts)(g) && g.at <= f.at && f.at.duration_since(g.at) < WINDOW)
            .count()
            >= rule.max
    })
}

/// Until when an attempt at `now` is refused, and why, if it is (the longest lock that
/// applies).
pub fn refusal(failures: &[RecentFailure], known_address: bool, now: Timestamp) -> Option<Refusal> {
    rules(known_address)
        .iter()
        .filter_map(|rule| {
            until(rule, failures, now).map(|until| Refusal {
                lock: rule.lock,
                until,
            })
        })
        .max_by_key(|r| r.until)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(minute: i64) -> Timestamp {
        Timestamp::from_second(1_795_400_000 + minute * 60).unwrap()
    }

    /// Failures at these minutes, for this name or another, from this address or another.
    fn failures(
        minutes: impl IntoIterator<Item = i64>,
        same_name: bool,
        same_address: bool,
    ) -> Vec<RecentFailure> {
        minutes
            .into_iter()
            .map(|m| RecentFailure {
                at: at(m),
                same_name,
                same_address,
            })
            .collect()
    }

    /// Failures for this name from this address.
    fn mine(minutes: impl IntoIterator<Item = i64>) -> Vec<RecentFailure> {
        failures(minutes, true, true)
    }

    fn from_elsewhere(minutes: impl IntoIterator<Item = i64>) -> Vec<RecentFailure> {
        failures(minutes, true, false)
    }

    fn other_names_here(minutes: impl IntoIterator<Item = i64>) -> Vec<RecentFailure> {
        failures(minutes, false, true)
    }

    fn name_lock(until: i64) -> Option<Refusal> {
        Some(Refusal {
            lock: Lock::Name,
            until: at(until),
        })
    }

    #[test]
    fn four_failures_do_not_lock_the_fifth_does() {
        let f = mine(0..4);
        assert_eq!(refusal(&f, false, at(4)), None);
        let f = mine(0..5);
        assert_eq!(refusal(&f, false, at(4)), name_lock(9));
        assert_eq!(refusal(&f, false, at(8)), name_lock(9));
        assert_eq!(refusal(&f, false, at(9)), None, "the lock is short");
    }

    #[test]
    fn each_failure_while_still_suspect_locks_again_then_the_window_forgets() {
        let mut f = mine(0..5);
        f.extend(mine([10]));
        assert_eq!(refusal(&f, false, at(10)), name_lock(15));
        // Fifteen minutes after the first failures, only one recent failure is left.
        f.extend(mine([20]));
        assert_eq!(refusal(&f, false, at(20)), None);
    }

    #[test]
    fn failures_spread_over_more_than_the_window_never_lock() {
        let mut f = Vec::new();
        for m in 0..20 {
            f.extend(mine([m * 4]));
            assert_eq!(refusal(&f, false, at(m * 4)), None);
        }
    }

    #[test]
    fn a_name_locked_from_elsewhere_still_signs_in_from_its_proven_address() {
        let f = from_elsewhere(0..5);
        assert_eq!(refusal(&f, false, at(5)), name_lock(9), "unknown address");
        assert_eq!(refusal(&f, true, at(5)), None, "the handler's own console");
        // At the proven address itself, five guesses still lock the name.
        let mut f = f;
        f.extend(mine(5..10));
        assert_eq!(refusal(&f, true, at(10)), name_lock(14));
    }

    #[test]
    fn many_names_from_one_address_lock_the_address_for_names_it_has_not_proven() {
        let max = ADDRESS_MAX_FAILURES;
        let f = other_names_here(vec![0; max - 1]);
        assert_eq!(refusal(&f, false, at(1)), None);
        let f = other_names_here(vec![0; max]);
        assert_eq!(
            refusal(&f, false, at(1)),
            Some(Refusal {
                lock: Lock::Address,
                until: at(15)
            })
        );
        assert_eq!(
            refusal(&f, true, at(1)),
            None,
            "a handler who signed in here"
        );
        assert_eq!(refusal(&f, false, at(15)), None, "the address lock ends");
    }

    #[test]
    fn the_longer_lock_is_the_one_reported() {
        let mut f = other_names_here(vec![0; ADDRESS_MAX_FAILURES]);
        f.extend(from_elsewhere(0..5));
        // Name until 4 + 5 = 9; address until 0 + 15 = 15.
        assert_eq!(refusal(&f, false, at(5)).unwrap().lock, Lock::Address);
        assert_eq!(refusal(&f, false, at(5)).unwrap().until, at(15));
    }

    #[test]
    fn only_the_first_failure_of_a_window_and_the_start_of_a_lock_are_audited() {
        let mut f = Vec::new();
        let mut audited = Vec::new();
        for m in 0..50 {
            match decide(&f, false, at(m)) {
                Decision::Refuse(_) => {}
                Decision::Try(if_wrong) => {
                    if if_wrong.audit_failure {
                        audited.push((m, "failed"));
                    }
                    if if_wrong.starts.is_some() {
                        audited.push((m, "locked"));
                    }
                    f.extend(mine([m]));
                }
            }
        }
        // The first failure, then the lock when it starts; a lock that keeps renewing itself
        // (one guess a minute for 50 minutes) is one episode and one record, not 50.
        assert_eq!(audited, [(0, "failed"), (4, "locked")]);
        // After a quiet hour, a new episode is recorded again.
        let mut later = Vec::new();
        for m in 110..115 {
            if let Decision::Try(if_wrong) = decide(&f, false, at(m)) {
                later.push((if_wrong.audit_failure, if_wrong.starts.is_some()));
                f.extend(mine([m]));
            }
        }
        assert_eq!(
            later,
            [
                (true, false),
                (false, false),
                (false, false),
                (false, false),
                (false, true)
            ]
        );
        let failures = f.len() - 5;
        assert!(
            failures < 50,
            "refused attempts are not failures: {failures}"
        );
    }

    #[test]
    fn a_refused_attempt_is_not_tried() {
        let f = mine(0..5);
        assert!(matches!(decide(&f, false, at(5)), Decision::Refuse(_)));
        assert!(matches!(
            decide(&mine(0..4), false, at(4)),
            Decision::Try(IfWrong {
                audit_failure: false,
                starts: Some(_)
            })
        ));
    }
}
