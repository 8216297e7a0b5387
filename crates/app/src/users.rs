//! Accounts: adding users with one or more roles. Only an administrator (or the system itself, from the
//! command line on the server) may do it.

use crate::auth::hash_password;
use crate::records::micros;
use crate::{Actor, App, AppError};
use controlroom_domain::audit::Category;
use controlroom_domain::roles::{Permission, Role, Roles};
use controlroom_domain::user::{UserEvent, Username, check_password_strength};
use controlroom_store::{NewRecord, UserRow};

impl Actor {
    /// The system itself: start-up seeding and the command line, run by whoever operates the
    /// server and so already holds the database.
    pub fn system() -> Self {
        Actor::with_role(Username::system(), Role::Admin)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub username: Username,
    pub roles: Roles,
}

/// Add a user holding `roles` (role names; an entry may list several, comma-separated).
pub async fn add_user<S: AsRef<str>>(
    app: &App,
    actor: &Actor,
    username: &str,
    roles: &[S],
    password: &str,
) -> Result<User, AppError> {
    let actor = &actor.require(Permission::ManageUsers, "manage user accounts")?;
    let username = Username::parse(username)?;
    if username.as_str() == Username::SYSTEM {
        return Err(controlroom_domain::Invalid::new("username", "'system' is reserved").into());
    }
    let roles = Roles::parse(roles)?;
    check_password_strength(password)?;
    let owned = password.to_owned();
    let password_hash = tokio::task::spawn_blocking(move || hash_password(&owned))
        .await
        .map_err(|e| AppError::Corrupt(format!("password hashing failed: {e}")))??;
    let now = app.now();
    let event = UserEvent::Added {
        username: username.clone(),
        role: None,
        roles: Some(roles.clone()),
    };
    let mut tx = app.store.begin().await?;
    tx.insert_user(&UserRow {
        username: username.to_string(),
        roles: roles.iter().map(|r| r.as_str().to_owned()).collect(),
        password_hash,
        created_at_micros: micros(now),
    })
    .await?;
    tx.append(NewRecord {
        category: Category::Change,
        stream: format!("user/{username}"),
        kind: event.kind().to_owned(),
        actor: actor.username.to_string(),
        role: actor.role_to_record(),
        at_micros: micros(now),
        payload: serde_json::to_string(&event).map_err(|e| AppError::Corrupt(e.to_string()))?,
    })
    .await?;
    tx.commit().await?;
    Ok(User { username, roles })
}

pub async fn list_users(app: &App, actor: &Actor) -> Result<Vec<User>, AppError> {
    actor.require(Permission::ManageUsers, "manage user accounts")?;
    app.store
        .list_users()
        .await?
        .into_iter()
        .map(|row| {
            let username =
                Username::parse(&row.username).map_err(|e| AppError::Corrupt(e.to_string()))?;
            let roles = stored_roles(&username, &row.roles)?;
            Ok(User { username, roles })
        })
        .collect()
}

/// A user's roles as stored; a user the store holds with no role, or an unknown one, is
/// corrupt data, never a user with no rights or more than they were given.
pub(crate) fn stored_roles(username: &Username, roles: &[String]) -> Result<Roles, AppError> {
    Roles::parse(roles).map_err(|e| AppError::Corrupt(format!("user {username}: {e}")))
}
