use crate::AppState;
use crate::dto::{AddUser, SetPassword, SetRoles, UserView};
use crate::error::ApiError;
use crate::extract::{ApiPath, Authenticated, Command};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use controlroom_app::users;

/// Add a user (administrators only).
#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = AddUser,
    responses((status = 201, body = UserView), (status = 403, body = crate::error::Problem),
              (status = 409, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn add(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    command: Command<AddUser>,
) -> Result<(StatusCode, Json<UserView>), ApiError> {
    let b = command.body;
    let roles: Vec<String> = b.role.into_iter().chain(b.roles).collect();
    let user = users::add_user(&state.app, &actor, &b.username, &roles, &b.password).await?;
    Ok((
        StatusCode::CREATED,
        Json(UserView::of(user.username.as_str(), &user.roles)),
    ))
}

/// List users and their roles (administrators only).
#[utoipa::path(get, path = "/api/v1/users", tag = "users",
    responses((status = 200, body = Vec<UserView>), (status = 403, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
) -> Result<Json<Vec<UserView>>, ApiError> {
    let users = users::list_users(&state.app, &actor).await?;
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
    params(("username" = String, Path)),
    responses((status = 200, body = UserView), (status = 403, body = crate::error::Problem),
              (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem),
              (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn set_roles(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    ApiPath(username): ApiPath<String>,
    command: Command<SetRoles>,
) -> Result<Json<UserView>, ApiError> {
    let user = users::set_roles(&state.app, &actor, &username, &command.body.roles).await?;
    Ok(Json(UserView::of(user.username.as_str(), &user.roles)))
}

/// Set a password: your own (give `current_password`), or anyone's as an administrator. Every
/// session of that user ends.
#[utoipa::path(put, path = "/api/v1/users/{username}/password", tag = "users", request_body = SetPassword,
    params(("username" = String, Path)),
    responses((status = 204, description = "Password set; the user's sessions have ended"),
              (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem),
              (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn set_password(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    ApiPath(username): ApiPath<String>,
    command: Command<SetPassword>,
) -> Result<StatusCode, ApiError> {
    let b = command.body;
    users::set_password(
        &state.app,
        &actor,
        &username,
        &b.password,
        b.current_password.as_deref(),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}
