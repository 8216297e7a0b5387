//! Signing in and out, and recognising a signed-in user on each request.
//!
//! Passwords are hashed with Argon2id (OWASP's minimum parameters: 19 MiB, 2 passes). A
//! session token is 256 random bits given to the client once; the store keeps only its
//! SHA-256, so a copy of the database holds no usable tokens. A session unused for longer than
//! the idle timeout is over.

use crate::records::{micros, signed_in_record, user_stream};
use crate::{Actor, App, AppError};
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use controlroom_domain::sign_in;
use controlroom_domain::user::Username;
use controlroom_store::SessionRow;
use jiff::{SignedDuration, Timestamp};
use rand::RngCore;
use serde_json::json;
use sha2::{Digest, Sha256};
use std::sync::OnceLock;

#[derive(Debug, Clone)]
pub struct SignedIn {
    /// Give this to the client; it is never stored.
    pub token: String,
    pub actor: Actor,
}

/// Hash a password for storage. Slow by design: call from a blocking thread.
pub fn hash_password(password: &str) -> Result<String, AppError> {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt)
        .map_err(|e| AppError::Corrupt(format!("password salt: {e}")))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| AppError::Corrupt(format!("hashing a password: {e}")))
}

pub(crate) fn password_matches(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored).is_ok_and(|hash| {
        Argon2::default()
            .verify_password(password.as_bytes(), &hash)
            .is_ok()
    })
}

/// A hash to check against when the username is unknown, so a wrong username takes as long
/// as a wrong password and does not reveal which accounts exist.
/// A decoy that cannot be made is an error, never an empty hash: checking against nothing
/// would answer an unknown name at once and tell an attacker which accounts exist.
fn decoy_hash() -> Result<&'static str, AppError> {
    static DECOY: OnceLock<String> = OnceLock::new();
    if let Some(hash) = DECOY.get() {
        return Ok(hash);
    }
    let made = hash_password("decoy password that matches nothing")?;
    Ok(DECOY.get_or_init(|| made))
}

pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Names a session in the audit trail (`signed_in`, `signed_out`) without giving away the key
/// the sessions table is looked up by: `audit verify` derives it from each session row and
/// finds the sign-in that opened it, so a session row forged in the database is caught.
pub fn session_id(token_hash: &str) -> String {
    hex::encode(Sha256::digest(
        format!("controlroom-session-id\0{token_hash}").as_bytes(),
    ))
}

/// The anti-forgery token for a session: pages send it back in `X-CSRF-Token` with every
/// change, which another site's form cannot do. Derived from the session token, so nothing
/// more is stored.
pub fn csrf_token(session_token: &str) -> String {
    hex::encode(Sha256::digest(
        format!("controlroom-csrf\0{session_token}").as_bytes(),
    ))
}

const WRONG: &str = "the username or password is wrong";

/// Names that cannot be usernames share one entry in the throttle (they can never sign in),
/// so made-up names are throttled like real ones and the refusal tells an attacker nothing.
const NOT_A_USERNAME: &str = "(not a username)";

/// Attempts are forgotten twice as long after they stop counting: a success clears only those
/// still counting, so an attempt forgetting old rows and a success clearing recent ones never
/// touch the same row, even with the servers' clocks a little apart.
fn forget_attempts_before(now: Timestamp) -> i64 {
    now.checked_sub(sign_in::LOOK_BACK * 2).map_or(0, micros)
}

/// Before a password is checked, in one sign-in transaction holding the name and the address
/// (so parallel guesses at either, on any server, are decided one after another; the audit
/// chain's lock is not taken, so guessing never slows the control room's writes): refuse
/// while locked (`domain::sign_in`); otherwise count the attempt as a failure now. Returns the attempt's id, to take back on success, and what
/// a wrong password means for the audit trail.
async fn begin_attempt(
    app: &App,
    key: &str,
    address: &str,
    now: Timestamp,
) -> Result<(i64, sign_in::IfWrong), AppError> {
    let since = |d: SignedDuration| now.checked_sub(d).map_or(0, micros);
    let mut tx = app.store.begin_sign_in(key, address).await?;
    let failures: Vec<sign_in::RecentFailure> = tx
        .sign_in_attempts(key, address, since(sign_in::LOOK_BACK))
        .await?
        .into_iter()
        .filter_map(|row| {
            Some(sign_in::RecentFailure {
                at: Timestamp::from_microsecond(row.at_micros).ok()?,
                same_name: row.username == key && row.counts_for_name,
                same_address: row.address == address,
            })
        })
        .collect();
    let known = tx
        .known_sign_in_address(key, address, since(sign_in::KNOWN_ADDRESS_FOR))
        .await?;
    match sign_in::decide(&failures, known, now) {
        sign_in::Decision::Refuse(refusal) => {
            drop(tx);
            tracing::warn!(username = key, address, lock = ?refusal.lock, "sign-in refused: too many wrong passwords");
            let wait = refusal.until.duration_since(now);
            let minutes = (wait.as_secs() + 59) / 60;
            let plural = if minutes == 1 { "" } else { "s" };
            let detail = match refusal.lock {
                sign_in::Lock::Name => format!(
                    "too many wrong passwords for this username: try again in {minutes} minute{plural}, or ask a supervisor to check the account"
                ),
                sign_in::Lock::Address => format!(
                    "too many wrong passwords from this computer's network address: try again in {minutes} minute{plural} (anyone who has signed in from here before can still sign in), or ask a supervisor"
                ),
            };
            Err(AppError::Throttled {
                detail,
                retry_after_secs: u64::try_from(wait.as_secs().max(1)).unwrap_or(1),
            })
        }
        sign_in::Decision::Try(if_wrong) => {
            let id = tx
                .record_sign_in_attempt(key, address, micros(now), forget_attempts_before(now))
                .await?;
            tx.commit().await?;
            Ok((id, if_wrong))
        }
    }
}

/// A wrong password: recorded in the audit trail only as `domain::sign_in` says (the first
/// failure of a window, the start of a lock), so a flood of guesses cannot flood the chain.
async fn wrong_password(
    app: &App,
    key: &str,
    address: &str,
    now: Timestamp,
    if_wrong: sign_in::IfWrong,
) -> Result<(), AppError> {
    tracing::warn!(username = key, address, "wrong password");
    if !if_wrong.audit_failure && if_wrong.starts.is_none() {
        return Ok(());
    }
    let who = Username::parse(key)
        .unwrap_or_else(|_| Username::parse("unknown").unwrap_or_else(|_| Username::system()));
    let mut tx = app.store.begin().await?;
    if if_wrong.audit_failure {
        tx.append(signed_in_record(
            user_stream(&who),
            "sign_in_failed",
            &who,
            now,
            json!({ "username": key, "address": address }),
        ))
        .await?;
    }
    if let Some(lock) = if_wrong.starts {
        tx.append(signed_in_record(
            user_stream(&who),
            "sign_in_throttled",
            &Username::system(),
            now,
            json!({
                "username": key,
                "address": address,
                "lock": match lock.lock {
                    sign_in::Lock::Name => "username",
                    sign_in::Lock::Address => "address",
                },
                "until_micros": micros(lock.until),
            }),
        ))
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Sign in from the client `address` (the TCP peer, or what a trusted proxy says).
pub async fn sign_in(
    app: &App,
    username: &str,
    password: &str,
    address: &str,
) -> Result<SignedIn, AppError> {
    let parsed = Username::parse(username).ok();
    let key = parsed
        .as_ref()
        .map_or(NOT_A_USERNAME, |n| n.as_str())
        .to_owned();
    let now = app.now();
    let (attempt, if_wrong) = begin_attempt(app, &key, address, now).await?;
    let name = Username::parse(username).ok();
    let user = match &name {
        Some(name) => app.store.user(name).await?,
        None => None,
    };
    let stored = match &user {
        Some(u) => u.password_hash.clone(),
        None => decoy_hash()?.to_owned(),
    };
    let attempt_password = password.to_owned();
    let matches = tokio::task::spawn_blocking(move || password_matches(&attempt_password, &stored))
        .await
        .map_err(|e| AppError::Corrupt(format!("password check failed: {e}")))?;

    let (Some(user), Some(name), true) = (user, name.clone(), matches) else {
        wrong_password(app, &key, address, now, if_wrong).await?;
        return Err(AppError::Unauthenticated(WRONG.into()));
    };
    let roles = crate::users::stored_roles(&name, &user.roles)?;

    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let token = hex::encode(bytes);
    let hash = token_hash(&token);
    let mut tx = app.store.begin().await?;
    tx.sign_in_succeeded(
        attempt,
        &key,
        address,
        micros(now),
        now.checked_sub(sign_in::LOOK_BACK).map_or(0, micros),
        now.checked_sub(sign_in::KNOWN_ADDRESS_FOR)
            .map_or(0, micros),
    )
    .await?;
    tx.insert_session(&SessionRow {
        token_hash: hash.clone(),
        username: name.to_string(),
        created_at_micros: micros(now),
        last_seen_at_micros: micros(now),
    })
    .await?;
    tx.append(signed_in_record(
        user_stream(&name),
        "signed_in",
        &name,
        now,
        json!({ "session": session_id(&hash) }),
    ))
    .await?;
    tx.commit().await?;
    Ok(SignedIn {
        token,
        actor: Actor::new(name, roles),
    })
}

/// Who holds this token, if their session is still live. Moves the session's last activity
/// on (at most every few seconds, to keep reads from turning into writes).
pub async fn authenticate(app: &App, token: &str) -> Result<Actor, AppError> {
    let (actor, idle) = check(app, token).await?;
    if idle > touch_interval(app.settings.session_idle_timeout) {
        app.store
            .touch_session(&token_hash(token), micros(app.now()))
            .await?;
    }
    Ok(actor)
}

/// Whether the session is still live, without counting this as activity (a live feed that
/// keeps running is not a person at the console). Returns the actor and how long the
/// session has been idle.
pub async fn check(app: &App, token: &str) -> Result<(Actor, SignedDuration), AppError> {
    let expired = || AppError::Unauthenticated("your session has ended: sign in again".into());
    if token.len() != 64 || !token.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(expired());
    }
    let hash = token_hash(token);
    let (session, user) = app.store.session_user(&hash).await?.ok_or_else(expired)?;
    let now = app.now();
    let last_seen = Timestamp::from_microsecond(session.last_seen_at_micros)
        .map_err(|e| AppError::Corrupt(format!("session time: {e}")))?;
    let idle = now.duration_since(last_seen);
    let created = Timestamp::from_microsecond(session.created_at_micros)
        .map_err(|e| AppError::Corrupt(format!("session time: {e}")))?;
    if now.duration_since(created) > app.settings.session_max_lifetime {
        return Err(AppError::Unauthenticated(format!(
            "your session has reached its {}-hour limit: sign in again",
            app.settings.session_max_lifetime.as_hours()
        )));
    }
    if idle > app.settings.session_idle_timeout {
        return Err(AppError::Unauthenticated(format!(
            "your session ended after {} minutes without activity: sign in again",
            app.settings.session_idle_timeout.as_mins()
        )));
    }
    let name = Username::parse(&session.username).map_err(|e| AppError::Corrupt(e.to_string()))?;
    let roles = crate::users::stored_roles(&name, &user.roles)?;
    Ok((Actor::new(name, roles), idle))
}

fn touch_interval(idle_timeout: SignedDuration) -> SignedDuration {
    (idle_timeout / 30).min(SignedDuration::from_secs(30))
}

pub async fn sign_out(app: &App, token: &str) -> Result<(), AppError> {
    let hash = token_hash(token);
    let Some(session) = app.store.session(&hash).await? else {
        return Ok(());
    };
    let name = Username::parse(&session.username).map_err(|e| AppError::Corrupt(e.to_string()))?;
    let mut tx = app.store.begin().await?;
    tx.delete_session(&hash).await?;
    tx.append(signed_in_record(
        user_stream(&name),
        "signed_out",
        &name,
        app.now(),
        json!({ "session": session_id(&hash) }),
    ))
    .await?;
    tx.commit().await?;
    // This server's live feeds for the session close at once; another server's within its
    // next session check.
    app.live.publish_session_ended(hash);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_only_against_their_own_hash() {
        let hash = hash_password("correct horse battery").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(password_matches("correct horse battery", &hash));
        assert!(!password_matches("correct horse batterY", &hash));
        assert!(!password_matches("anything", "not a hash"));
    }

    #[test]
    fn sessions_are_touched_often_enough_for_the_timeout() {
        assert_eq!(
            touch_interval(SignedDuration::from_mins(15)),
            SignedDuration::from_secs(30)
        );
        assert_eq!(
            touch_interval(SignedDuration::from_secs(60)),
            SignedDuration::from_secs(2)
        );
    }
}
