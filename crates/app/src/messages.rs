//! Messages to a person or a team (issue 17): text from one user to another, or to every
//! member of a team of the directory, each a stream of its own keyed by its recipient
//! (`message/{person/<name>|team/<code>}/{uuid}`), decided by `domain::tasking::messages`.
//! The live feed carries a `message` event when one is sent or read, so the recipients'
//! consoles show it at once.

use crate::event_store::{Executed, execute, fold};
use crate::records::record_access;
use crate::{Actor, App, AppError, Idempotency};
use controlroom_domain::Invalid;
use controlroom_domain::roles::Permission;
use controlroom_domain::stream::{StreamId, StreamKind};
use controlroom_domain::tasking::BelongsTo;
use controlroom_domain::tasking::messages::{
    self, Message, MessageCommand, MessageContext, MessageError, MessageId, Recipient,
};
use serde_json::json;
use uuid::Uuid;

impl From<MessageError> for AppError {
    fn from(err: MessageError) -> Self {
        match err {
            MessageError::Refused(refusal) => AppError::Invalid(refusal.invalid()),
            MessageError::NotPermitted(_) => AppError::Forbidden(err.to_string()),
        }
    }
}

/// Send a message (its id is the sender's UUID, so a retried send cannot send two).
pub async fn send(
    app: &App,
    actor: &Actor,
    to: Recipient,
    id: Uuid,
    text: String,
    about: Option<BelongsTo>,
    idempotency: Option<&Idempotency>,
) -> Result<Executed<Message>, AppError> {
    match &to {
        Recipient::Team(team) if app.settings.reference.team(team.as_str()).is_none() => {
            return Err(Invalid::new(
                "to.team",
                format!("{team} is not a team or department in the directory (teams.psv)"),
            )
            .into());
        }
        Recipient::Person(who) if app.store.user(who).await?.is_none() => {
            return Err(Invalid::new("to.person", format!("there is no user {who}")).into());
        }
        _ => {}
    }
    decide(
        app,
        actor,
        MessageId { to, id },
        MessageCommand::Send { text, about },
        idempotency,
    )
    .await
}

/// Mark a message read by the signed-in user (no change when they already have).
pub async fn mark_read(
    app: &App,
    actor: &Actor,
    id: MessageId,
) -> Result<Executed<Message>, AppError> {
    decide(app, actor, id, MessageCommand::MarkRead, None).await
}

async fn decide(
    app: &App,
    actor: &Actor,
    id: MessageId,
    command: MessageCommand,
    idempotency: Option<&Idempotency>,
) -> Result<Executed<Message>, AppError> {
    let member_of = crate::tasks::teams_of(app, &actor.username).await?;
    let role = actor
        .roles
        .granting(Permission::SetTasks)
        .unwrap_or(actor.roles.first());
    let actor = &actor.acting_as(role);
    execute::<Message>(
        app,
        actor,
        &id,
        idempotency,
        |state, _| {
            messages::decide(
                state,
                command,
                MessageContext {
                    message: &id,
                    who: &actor.username,
                    roles: &actor.roles,
                    member_of: &member_of,
                },
            )
            .map_err(AppError::from)
        },
        |_, _, _| Vec::new(),
    )
    .await
}

/// The signed-in user's messages, to them or their teams: unread first, then newest. The
/// look is recorded.
pub async fn inbox(app: &App, actor: &Actor) -> Result<Vec<Message>, AppError> {
    let teams = crate::tasks::teams_of(app, &actor.username).await?;
    let recipients = std::iter::once(Recipient::Person(actor.username.clone()))
        .chain(teams.iter().cloned().map(Recipient::Team));
    let mut all = Vec::new();
    for recipient in recipients {
        for stream in app
            .store
            .streams(StreamKind::Message, &recipient.prefix())
            .await?
        {
            let id = StreamId::parse(&stream)
                .and_then(|s| MessageId::from_stream_key(s.key()))
                .map_err(|e| AppError::Corrupt(format!("message stream {stream}: {e}")))?;
            all.extend(fold::<Message>(&id, &app.store.stream(&stream).await?)?);
        }
    }
    let mine: Vec<Message> = messages::inbox(&all, &actor.username, &teams)
        .into_iter()
        .cloned()
        .collect();
    record_access(
        app,
        actor,
        format!("user/{}", actor.username),
        "messages_viewed",
        json!({ "messages": mine.iter().map(|m| m.id.to_string()).collect::<Vec<_>>() }),
    )
    .await?;
    Ok(mine)
}
