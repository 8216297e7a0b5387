//! Users of the system. A username is the stable name stamped on every log entry and audit
//! event, so it never changes once issued.

use crate::limits;
use crate::roles::{Role, Roles};
use crate::text::Invalid;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Username(String);

impl Username {
    /// The actor recorded for changes made by the system itself (start-up seeding, the CLI).
    pub const SYSTEM: &'static str = "system";

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let name = raw.trim().to_ascii_lowercase();
        let ok = (2..=limits::USERNAME).contains(&name.len())
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
            && name.chars().next().is_some_and(|c| c.is_ascii_alphabetic());
        if !ok {
            return Err(Invalid::new(
                "username",
                format!(
                    "must be 2 to {} characters: letters, digits, '.', '_' or '-', starting with a letter",
                    limits::USERNAME
                ),
            ));
        }
        Ok(Self(name))
    }

    pub fn system() -> Self {
        Self(Self::SYSTEM.to_owned())
    }
}

text_value!(Username, Username::parse);

/// The minimum password length, following NCSC guidance to favour length over complexity.
pub const MIN_PASSWORD_LEN: usize = 10;

pub fn check_password_strength(password: &str) -> Result<(), Invalid> {
    if password.chars().count() < MIN_PASSWORD_LEN {
        return Err(Invalid::new(
            "password",
            format!("must be at least {MIN_PASSWORD_LEN} characters"),
        ));
    }
    if password.len() > limits::PASSWORD_BYTES {
        return Err(Invalid::new(
            "password",
            format!("is too long ({} bytes at most)", limits::PASSWORD_BYTES),
        ));
    }
    Ok(())
}

/// Events on a user's own stream in the audit log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, strum::IntoStaticStr)]
#[cfg_attr(test, derive(strum::VariantNames))]
#[serde(tag = "type", rename_all = "snake_case")]
#[strum(serialize_all = "snake_case", prefix = "user_")]
pub enum UserEvent {
    /// The password hash is deliberately not part of the event: the audit log is read by
    /// auditors, and a hash is still a secret. Its [`password_fingerprint`] is, so that
    /// `audit verify` catches a hash swapped in the users table. Users added before a user
    /// could hold several roles were recorded with `role`; since then with `roles`. Users
    /// added before fingerprints were recorded have none.
    Added {
        username: Username,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        role: Option<Role>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        roles: Option<Roles>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        password_fingerprint: Option<String>,
    },
    /// An administrator gave the user a new set of roles (in order: the first is the one the
    /// console opens in).
    RolesChanged { username: Username, roles: Roles },
    /// The password was changed by its holder, or reset by an administrator.
    PasswordChanged {
        username: Username,
        password_fingerprint: String,
    },
}

/// Names a stored password hash without revealing it: SHA-256 of the hash text, which hides
/// the salt, so the audit log gives an attacker nothing to guess passwords against.
pub fn password_fingerprint(password_hash: &str) -> String {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    hasher.update(b"controlroom-password-fingerprint\0");
    hasher.update(password_hash.as_bytes());
    hex::encode(hasher.finalize())
}

/// What the audit chain says about one account, replayed from its events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountOnRecord {
    pub roles: Roles,
    /// `None` for accounts added before fingerprints were recorded and unchanged since.
    pub password_fingerprint: Option<String>,
}

impl AccountOnRecord {
    /// Apply one event of the account's stream. `None` before the account was added.
    pub fn apply(account: Option<Self>, event: &UserEvent) -> Option<Self> {
        match (account, event) {
            (
                _,
                UserEvent::Added {
                    role,
                    roles,
                    password_fingerprint,
                    ..
                },
            ) => {
                let roles = roles
                    .clone()
                    .or_else(|| role.and_then(|r| Roles::try_from(vec![r]).ok()))?;
                Some(Self {
                    roles,
                    password_fingerprint: password_fingerprint.clone(),
                })
            }
            (Some(account), UserEvent::RolesChanged { roles, .. }) => Some(Self {
                roles: roles.clone(),
                ..account
            }),
            (
                Some(account),
                UserEvent::PasswordChanged {
                    password_fingerprint,
                    ..
                },
            ) => Some(Self {
                password_fingerprint: Some(password_fingerprint.clone()),
                ..account
            }),
            (None, _) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_lower_case_and_restricted() {
        assert_eq!(Username::parse(" PC.Smith ").unwrap().as_str(), "pc.smith");
        assert!(Username::parse("9lives").is_err());
        assert!(Username::parse("a b").is_err());
        assert!(Username::parse("x").is_err());
    }

    #[test]
    fn users_added_with_one_role_still_read() {
        let old: UserEvent = serde_json::from_str(
            r#"{"type":"added","username":"handler","role":"contact_handler"}"#,
        )
        .unwrap();
        assert!(matches!(
            old,
            UserEvent::Added {
                role: Some(Role::ContactHandler),
                roles: None,
                ..
            }
        ));
        let new = UserEvent::Added {
            username: Username::parse("operator").unwrap(),
            role: None,
            roles: Some(Roles::parse(&["contact_handler,crime_recorder"]).unwrap()),
            password_fingerprint: None,
        };
        assert_eq!(
            serde_json::to_string(&new).unwrap(),
            r#"{"type":"added","username":"operator","roles":["contact_handler","crime_recorder"]}"#
        );
    }

    #[test]
    fn an_accounts_roles_and_password_are_replayed_from_its_events() {
        let name = Username::parse("handler").unwrap();
        let old: UserEvent = serde_json::from_str(
            r#"{"type":"added","username":"handler","role":"contact_handler"}"#,
        )
        .unwrap();
        let added = AccountOnRecord::apply(None, &old).unwrap();
        assert_eq!(added.roles.first(), Role::ContactHandler);
        assert_eq!(added.password_fingerprint, None);
        let promoted = AccountOnRecord::apply(
            Some(added),
            &UserEvent::RolesChanged {
                username: name.clone(),
                roles: Roles::parse(&["supervisor"]).unwrap(),
            },
        )
        .unwrap();
        assert_eq!(promoted.roles.first(), Role::Supervisor);
        let fp = password_fingerprint("$argon2id$v=19$...");
        let changed = AccountOnRecord::apply(
            Some(promoted),
            &UserEvent::PasswordChanged {
                username: name.clone(),
                password_fingerprint: fp.clone(),
            },
        )
        .unwrap();
        assert_eq!(changed.password_fingerprint, Some(fp));
        // A change to an account never added is not an account.
        assert_eq!(
            AccountOnRecord::apply(
                None,
                &UserEvent::RolesChanged {
                    username: name,
                    roles: Roles::parse(&["admin"]).unwrap()
                }
            ),
            None
        );
    }

    #[test]
    fn fingerprints_differ_by_hash_and_hide_it() {
        let a = password_fingerprint("$argon2id$a");
        assert_ne!(a, password_fingerprint("$argon2id$b"));
        assert!(!a.contains("argon2"));
        assert_eq!(a.len(), 64);
    }

    #[test]
    fn short_passwords_are_refused() {
        assert!(check_password_strength("short").is_err());
        assert!(check_password_strength("correct horse battery").is_ok());
    }
}
