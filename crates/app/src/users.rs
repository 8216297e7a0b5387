//! Accounts: adding users with one or more roles, changing their roles, and setting their
//! passwords. Only an administrator (or the system itself, from the command line on the
//! server) may add users or change roles; a user may change their own password by giving the
//! current one. Every change is an event on the user's stream in the audit chain, so `audit
//! verify` can hold the users table to it.

use crate::auth::hash_password;
use crate::records::{micros, record_access, user_stream};
use crate::{Actor, App, AppError};
use controlroom_domain::aggregate::Event;
use controlroom_domain::audit::Category;
use controlroom_domain::roles::{Permission, Role, Roles};
use controlroom_domain::user::{
    UserEvent, Username, check_password_strength, password_fingerprint,
};
use controlroom_store::{NewRecord, UserRow};
use serde_json::json;

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
    let password_hash = new_password_hash(password).await?;
    let now = app.now();
    let event = UserEvent::Added {
        username: username.clone(),
        role: None,
        roles: Some(roles.clone()),
        password_fingerprint: Some(password_fingerprint(&password_hash)),
    };
    let mut tx = app.store.begin().await?;
    tx.insert_user(&UserRow {
        username: username.to_string(),
        roles: roles.iter().map(|r| r.as_str().to_owned()).collect(),
        password_hash,
        created_at_micros: micros(now),
    })
    .await?;
    tx.append(user_record(actor, &username, &event, now)?)
        .await?;
    tx.commit().await?;
    Ok(User { username, roles })
}

async fn new_password_hash(password: &str) -> Result<String, AppError> {
    check_password_strength(password)?;
    let owned = password.to_owned();
    tokio::task::spawn_blocking(move || hash_password(&owned))
        .await
        .map_err(|e| AppError::Corrupt(format!("password hashing failed: {e}")))?
}

fn user_record(
    actor: &Actor,
    username: &Username,
    event: &UserEvent,
    now: jiff::Timestamp,
) -> Result<NewRecord, AppError> {
    Ok(NewRecord {
        category: Category::Change,
        stream: user_stream(&username),
        kind: event.kind().to_owned(),
        actor: actor.username.to_string(),
        role: actor.role_to_record(),
        searchable: false,
        at_micros: micros(now),
        payload: serde_json::to_string(event).map_err(|e| AppError::Corrupt(e.to_string()))?,
    })
}

fn no_such_user(username: &Username) -> AppError {
    AppError::NotFound(format!("no user {username}"))
}

/// Give a user a new set of roles (replacing the old). An administrator cannot take the
/// administrator role from themselves: another administrator must, so the force is never
/// left without one by a slip.
pub async fn set_roles<S: AsRef<str>>(
    app: &App,
    actor: &Actor,
    username: &str,
    roles: &[S],
) -> Result<User, AppError> {
    let actor = &actor.require(Permission::ManageUsers, "manage user accounts")?;
    let username = Username::parse(username)?;
    let roles = Roles::parse(roles)?;
    if username == actor.username && !roles.iter().any(|r| r == Role::Admin) {
        return Err(AppError::Conflict(
            "you cannot remove your own administrator role: ask another administrator".into(),
        ));
    }
    let mut tx = app.store.begin().await?;
    if app.store.user(&username).await?.is_none() {
        return Err(no_such_user(&username));
    }
    let names: Vec<String> = roles.iter().map(|r| r.as_str().to_owned()).collect();
    tx.replace_user_roles(username.as_str(), &names).await?;
    let event = UserEvent::RolesChanged {
        username: username.clone(),
        roles: roles.clone(),
    };
    tx.append(user_record(actor, &username, &event, app.now())?)
        .await?;
    tx.commit().await?;
    Ok(User { username, roles })
}

/// Set a user's password. Their own, with the current password; anyone's, as an
/// administrator (a reset). Every session the user has open ends: whoever knew the old
/// password is signed out with it.
pub async fn set_password(
    app: &App,
    actor: &Actor,
    username: &str,
    new_password: &str,
    current_password: Option<&str>,
) -> Result<(), AppError> {
    let username = Username::parse(username)?;
    let own = username == actor.username;
    let actor = if own {
        let Some(current) = current_password else {
            return Err(controlroom_domain::Invalid::new(
                "current_password",
                "is required to change your own password",
            )
            .into());
        };
        let row = app
            .store
            .user(&username)
            .await?
            .ok_or_else(|| no_such_user(&username))?;
        let (attempt, stored) = (current.to_owned(), row.password_hash);
        let matches =
            tokio::task::spawn_blocking(move || crate::auth::password_matches(&attempt, &stored))
                .await
                .map_err(|e| AppError::Corrupt(format!("password check failed: {e}")))?;
        if !matches {
            return Err(controlroom_domain::Invalid::new(
                "current_password",
                "is not your current password",
            )
            .into());
        }
        actor.clone()
    } else {
        actor.require(Permission::ManageUsers, "reset another user's password")?
    };
    let password_hash = new_password_hash(new_password).await?;
    let mut tx = app.store.begin().await?;
    if app.store.user(&username).await?.is_none() {
        return Err(no_such_user(&username));
    }
    tx.set_password_hash(username.as_str(), &password_hash)
        .await?;
    tx.delete_user_sessions(username.as_str()).await?;
    let event = UserEvent::PasswordChanged {
        username: username.clone(),
        password_fingerprint: password_fingerprint(&password_hash),
    };
    tx.append(user_record(&actor, &username, &event, app.now())?)
        .await?;
    tx.commit().await?;
    // Live feeds of the ended sessions close at their next session check (seconds).
    Ok(())
}

/// Every account and its roles. Staff are people too, and the list says who may see what in
/// the control room, so reading it is recorded as a consultation naming the accounts shown
/// (DPA 2018 s.62).
pub async fn list_users(app: &App, actor: &Actor) -> Result<Vec<User>, AppError> {
    let actor = &actor.require(Permission::ManageUsers, "manage user accounts")?;
    let users = app
        .store
        .list_users()
        .await?
        .into_iter()
        .map(|row| {
            let username =
                Username::parse(&row.username).map_err(|e| AppError::Corrupt(e.to_string()))?;
            let roles = stored_roles(&username, &row.roles)?;
            Ok(User { username, roles })
        })
        .collect::<Result<Vec<_>, AppError>>()?;
    record_access(
        app,
        actor,
        "users".to_owned(),
        "users_listed",
        json!({
            "users": users.iter().map(|u| u.username.as_str()).collect::<Vec<_>>(),
        }),
    )
    .await?;
    Ok(users)
}

/// A user's roles as stored; a user the store holds with no role, or an unknown one, is
/// corrupt data, never a user with no rights or more than they were given.
pub(crate) fn stored_roles(username: &Username, roles: &[String]) -> Result<Roles, AppError> {
    Roles::parse(roles).map_err(|e| AppError::Corrupt(format!("user {username}: {e}")))
}
