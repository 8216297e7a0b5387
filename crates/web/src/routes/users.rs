use super::{Answer, Created};
use crate::dto::{AddUser, SetPassword, SetRoles, UserView};
use crate::error::ApiError;
use crate::extract::{ApiPath, Call, Caller, Change};
use axum::Json;
use axum::http::StatusCode;
use controlroom_app::users;

/// Add a user (administrators only).
#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = AddUser,
    responses((status = 201, body = UserView)))]
pub async fn add(c: Call<AddUser>) -> Created<UserView> {
    let (c, b) = c.split();
    let roles: Vec<String> = b.role.into_iter().chain(b.roles).collect();
    let user = users::add_user(c.app(), &c.actor, &b.username, &roles, &b.password).await?;
    super::created(UserView::of(user.username.as_str(), &user.roles))
}

/// List users and their roles (administrators only).
#[utoipa::path(get, path = "/api/v1/users", tag = "users",
    responses((status = 200, body = Vec<UserView>)))]
pub async fn list(c: Caller) -> Answer<Vec<UserView>> {
    let users = users::list_users(c.app(), &c.actor).await?;
    Ok(Json(
        users
            .into_iter()
            .map(|u| UserView::of(u.username.as_str(), &u.roles))
            .collect(),
    ))
}

/// Replace a user's roles (administrators only; audited, and `audit verify` holds the users
/// table to the audit trail).
#[utoipa::path(put, path = "/api/v1/users/{username}/roles", tag = "users", request_body = SetRoles,
    responses((status = 200, body = UserView)))]
pub async fn set_roles(c: Change<ApiPath<String>, SetRoles>) -> Answer<UserView> {
    let user = users::set_roles(c.app(), &c.actor, &c.id.0, &c.body.roles).await?;
    Ok(Json(UserView::of(user.username.as_str(), &user.roles)))
}

/// Set a password: your own (give `current_password`), or anyone's as an administrator. Every
/// session of that user ends.
#[utoipa::path(put, path = "/api/v1/users/{username}/password", tag = "users", request_body = SetPassword,
    responses((status = 204, description = "Password set; the user's sessions have ended")))]
pub async fn set_password(c: Change<ApiPath<String>, SetPassword>) -> Result<StatusCode, ApiError> {
    let b = &c.body;
    users::set_password(
        c.app(),
        &c.actor,
        &c.id.0,
        &b.password,
        b.current_password.as_deref(),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}
