use crate::AppState;
use crate::dto::{AddUser, UserView};
use crate::error::ApiError;
use crate::extract::{Authenticated, Command};
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
