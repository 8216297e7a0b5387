//! Accounts: adding users with a role. Only an administrator (or the system itself, from the
//! command line on the server) may do it.

use crate::auth::hash_password;
use crate::records::micros;
use crate::{Actor, App, AppError};
use controlroom_domain::audit::Category;
use controlroom_domain::roles::{Permission, Role};
use controlroom_domain::user::{UserEvent, Username, check_password_strength};
use controlroom_store::{NewRecord, UserRow};

impl Actor {
    /// The system itself: start-up seeding and the command line, run by whoever operates the
    /// server and so already holds the database.
    pub fn system() -> Self {
        Actor {
            username: Username::system(),
            role: Role::Admin,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub username: Username,
    pub role: Role,
}

pub async fn add_user(
    app: &App,
    actor: &Actor,
    username: &str,
    role: &str,
    password: &str,
) -> Result<User, AppError> {
    actor.require(Permission::ManageUsers, "manage user accounts")?;
    let username = Username::parse(username)?;
    if username.as_str() == Username::SYSTEM {
        return Err(controlroom_domain::Invalid::new("username", "'system' is reserved").into());
    }
    let role = Role::parse(role)?;
    check_password_strength(password)?;
    let owned = password.to_owned();
    let password_hash = tokio::task::spawn_blocking(move || hash_password(&owned))
        .await
        .map_err(|e| AppError::Corrupt(format!("password hashing failed: {e}")))??;
    let now = app.now();
    let event = UserEvent::Added {
        username: username.clone(),
        role,
    };
    let mut tx = app.store.begin().await?;
    tx.insert_user(&UserRow {
        username: username.to_string(),
        role: role.as_str().to_owned(),
        password_hash,
        created_at_micros: micros(now),
    })
    .await?;
    tx.append(NewRecord {
        category: Category::Change,
        stream: format!("user/{username}"),
        kind: event.kind().to_owned(),
        actor: actor.username.to_string(),
        at_micros: micros(now),
        payload: serde_json::to_string(&event).map_err(|e| AppError::Corrupt(e.to_string()))?,
    })
    .await?;
    tx.commit().await?;
    Ok(User { username, role })
}

pub async fn list_users(app: &App, actor: &Actor) -> Result<Vec<User>, AppError> {
    actor.require(Permission::ManageUsers, "manage user accounts")?;
    app.store
        .list_users()
        .await?
        .into_iter()
        .map(|row| {
            Ok(User {
                username: Username::parse(&row.username)
                    .map_err(|e| AppError::Corrupt(e.to_string()))?,
                role: Role::parse(&row.role).map_err(|e| AppError::Corrupt(e.to_string()))?,
            })
        })
        .collect()
}
