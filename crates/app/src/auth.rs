//! Signing in and out, and recognising a signed-in user on each request.
//!
//! Passwords are hashed with Argon2id (OWASP's minimum parameters: 19 MiB, 2 passes). A
//! session token is 256 random bits given to the client once; the store keeps only its
//! SHA-256, so a copy of the database holds no usable tokens. A session unused for longer than
//! the idle timeout is over.

use crate::records::{micros, signed_in_record};
use crate::{Actor, App, AppError};
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use controlroom_domain::sign_in::FailedSignIns;
use controlroom_domain::user::Username;
use controlroom_store::SessionRow;
use jiff::{SignedDuration, Timestamp};
use rand::RngCore;
use serde_json::json;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock, PoisonError};

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
fn decoy_hash() -> &'static str {
    static DECOY: OnceLock<String> = OnceLock::new();
    DECOY.get_or_init(|| hash_password("decoy password that matches nothing").unwrap_or_default())
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

/// Wrong passwords by username, known or not: an unknown name is throttled like a known one,
/// so the refusal tells an attacker nothing. Names that cannot be usernames share one entry
/// (they can never sign in), so made-up names cannot grow the map past its cap.
#[derive(Debug, Default)]
pub struct FailedSignInsByName(Mutex<HashMap<String, FailedSignIns>>);

/// The most names remembered at once; past it the stalest entry makes room.
const REMEMBERED_NAMES: usize = 10_000;
const NOT_A_USERNAME: &str = "(not a username)";

impl FailedSignInsByName {
    fn with<T>(&self, f: impl FnOnce(&mut HashMap<String, FailedSignIns>) -> T) -> T {
        // A poisoned lock only means another request panicked mid-update: the map is still
        // usable, and refusing every sign-in would be worse.
        let mut map = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        f(&mut map)
    }

    /// Before a password is checked: refuse while the name is locked; otherwise count the
    /// attempt as a failure now, in the same step, so that parallel guesses cannot all pass
    /// the check before any of them is counted. A success takes it back ([`Self::succeed`]).
    fn begin(&self, name: &str, now: Timestamp) -> Result<(), Timestamp> {
        self.with(|map| {
            if let Some(until) = map.get(name).and_then(|f| f.locked_until(now)) {
                return Err(until);
            }
            if !map.contains_key(name) && map.len() >= REMEMBERED_NAMES {
                map.retain(|_, f| !f.forgotten(now));
                if map.len() >= REMEMBERED_NAMES
                    && let Some(stalest) = map
                        .iter()
                        .min_by_key(|(_, f)| f.latest())
                        .map(|(k, _)| k.clone())
                {
                    map.remove(&stalest);
                }
            }
            map.entry(name.to_owned()).or_default().fail(now);
            Ok(())
        })
    }

    fn succeed(&self, name: &str) {
        self.with(|map| map.remove(name));
    }
}

pub async fn sign_in(app: &App, username: &str, password: &str) -> Result<SignedIn, AppError> {
    let parsed = Username::parse(username).ok();
    let key = parsed
        .as_ref()
        .map_or(NOT_A_USERNAME, |n| n.as_str())
        .to_owned();
    let now = app.now();
    if let Err(until) = app.failed_sign_ins.begin(&key, now) {
        let wait = until.duration_since(now);
        let mut tx = app.store.begin().await?;
        tx.append(signed_in_record(
            format!("user/{key}"),
            "sign_in_throttled",
            &Username::system(),
            now,
            json!({ "username": key }),
        ))
        .await?;
        tx.commit().await?;
        let minutes = (wait.as_secs() + 59) / 60;
        return Err(AppError::Throttled {
            detail: format!(
                "too many wrong passwords for this username: try again in {minutes} minute{}, or ask a supervisor to check the account",
                if minutes == 1 { "" } else { "s" }
            ),
            retry_after_secs: u64::try_from(wait.as_secs().max(1)).unwrap_or(1),
        });
    }
    let name = Username::parse(username).ok();
    let user = match &name {
        Some(name) => app.store.user(name).await?,
        None => None,
    };
    let stored = user
        .as_ref()
        .map_or_else(|| decoy_hash().to_owned(), |u| u.password_hash.clone());
    let attempt = password.to_owned();
    let matches = tokio::task::spawn_blocking(move || password_matches(&attempt, &stored))
        .await
        .map_err(|e| AppError::Corrupt(format!("password check failed: {e}")))?;

    let (Some(user), Some(name), true) = (user, name.clone(), matches) else {
        // Failed attempts are security events: keep them in the audit trail too.
        let who = name
            .unwrap_or_else(|| Username::parse("unknown").unwrap_or_else(|_| Username::system()));
        let mut tx = app.store.begin().await?;
        tx.append(signed_in_record(
            format!("user/{who}"),
            "sign_in_failed",
            &who,
            now,
            json!({}),
        ))
        .await?;
        tx.commit().await?;
        return Err(AppError::Unauthenticated(WRONG.into()));
    };
    let roles = crate::users::stored_roles(&name, &user.roles)?;
    app.failed_sign_ins.succeed(&key);

    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let token = hex::encode(bytes);
    let hash = token_hash(&token);
    let mut tx = app.store.begin().await?;
    tx.insert_session(&SessionRow {
        token_hash: hash.clone(),
        username: name.to_string(),
        created_at_micros: micros(now),
        last_seen_at_micros: micros(now),
    })
    .await?;
    tx.append(signed_in_record(
        format!("user/{name}"),
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
    let session = app.store.session(&hash).await?.ok_or_else(expired)?;
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
    let user = app.store.user(&name).await?.ok_or_else(expired)?;
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
        format!("user/{name}"),
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

    fn at(second: i64) -> Timestamp {
        Timestamp::from_second(1_795_400_000 + second).unwrap()
    }

    // Parallel guesses: each is counted before its hash is checked, so only five get through
    // however many arrive at once.
    #[test]
    fn attempts_are_counted_before_the_password_is_checked() {
        let failed = FailedSignInsByName::default();
        let allowed = (0..20)
            .filter(|_| failed.begin("handler", at(0)).is_ok())
            .count();
        assert_eq!(allowed, controlroom_domain::sign_in::MAX_FAILURES);
        // A success takes its attempt back and clears the name.
        let fresh = FailedSignInsByName::default();
        for _ in 0..4 {
            fresh.begin("handler", at(0)).unwrap();
        }
        fresh.begin("handler", at(1)).unwrap();
        fresh.succeed("handler");
        assert!(fresh.begin("handler", at(2)).is_ok());
    }

    // Made-up names cannot grow the map without end.
    #[test]
    fn the_remembered_names_are_capped() {
        let failed = FailedSignInsByName::default();
        for n in 0..(REMEMBERED_NAMES + 50) {
            let _ = failed.begin(&format!("user{n}"), at(i64::try_from(n).unwrap()));
        }
        let (len, oldest_kept) = failed.with(|m| (m.len(), m.contains_key("user0")));
        assert!(len <= REMEMBERED_NAMES, "{len}");
        assert!(!oldest_kept, "the stalest name made room");
    }
}
