//! Users of the system. A username is the stable name stamped on every log entry and audit
//! event, so it never changes once issued.

use crate::roles::{Role, Roles};
use crate::text::Invalid;
use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Username(String);

impl Username {
    /// The actor recorded for changes made by the system itself (start-up seeding, the CLI).
    pub const SYSTEM: &'static str = "system";

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let name = raw.trim().to_ascii_lowercase();
        let ok = (2..=32).contains(&name.len())
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
            && name.chars().next().is_some_and(|c| c.is_ascii_alphabetic());
        if !ok {
            return Err(Invalid::new(
                "username",
                "must be 2 to 32 characters: letters, digits, '.', '_' or '-', starting with a letter",
            ));
        }
        Ok(Self(name))
    }

    pub fn system() -> Self {
        Self(Self::SYSTEM.to_owned())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Username {
    type Error = Invalid;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Username> for String {
    fn from(name: Username) -> Self {
        name.0
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The minimum password length, following NCSC guidance to favour length over complexity.
pub const MIN_PASSWORD_LEN: usize = 10;

pub fn check_password_strength(password: &str) -> Result<(), Invalid> {
    if password.chars().count() < MIN_PASSWORD_LEN {
        return Err(Invalid::new(
            "password",
            format!("must be at least {MIN_PASSWORD_LEN} characters"),
        ));
    }
    if password.len() > 1024 {
        return Err(Invalid::new("password", "is too long (1024 bytes at most)"));
    }
    Ok(())
}

/// Events on a user's own stream in the audit log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum UserEvent {
    /// The password hash is deliberately not part of the event: the audit log is read by
    /// auditors, and a hash is still a secret. Users added before a user could hold several
    /// roles were recorded with `role`; since then with `roles`.
    Added {
        username: Username,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        role: Option<Role>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        roles: Option<Roles>,
    },
}

impl UserEvent {
    pub fn kind(&self) -> &'static str {
        match self {
            UserEvent::Added { .. } => "user_added",
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
        };
        assert_eq!(
            serde_json::to_string(&new).unwrap(),
            r#"{"type":"added","username":"operator","roles":["contact_handler","crime_recorder"]}"#
        );
    }

    #[test]
    fn short_passwords_are_refused() {
        assert!(check_password_strength("short").is_err());
        assert!(check_password_strength("correct horse battery").is_ok());
    }
}
