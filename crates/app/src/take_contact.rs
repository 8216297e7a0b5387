//! Taking a contact: the first thing a contact handler does. A new contact opens an incident
//! with the next reference of the day; a contact about an incident already open joins it, so
//! one event is one incident however many people ring about it.

use crate::incidents::{IncidentOutcome, earlier_outcome, record};
use crate::records::load_incident;
use crate::{Actor, App, AppError, Idempotency};
use controlroom_domain::Invalid;
use controlroom_domain::contact::{ContactDraft, ContactId};
use controlroom_domain::incident::{IncidentCommand, IncidentId, IncidentRef, decide};
use controlroom_domain::roles::Permission;
use uuid::Uuid;

#[derive(Debug, Clone, Default)]
pub struct NewContact {
    pub draft: ContactDraft,
    /// The opening incident type, if the handler knows it yet.
    pub incident_type: Option<String>,
    /// Join this incident instead of opening a new one.
    pub join: Option<IncidentId>,
    /// The address-search suggestion the handler picked, placed from the gazetteer.
    pub chosen: Option<crate::gazetteer::Chosen>,
}

pub async fn take_contact(
    app: &App,
    actor: &Actor,
    request: NewContact,
    idempotency: Option<&Idempotency>,
) -> Result<IncidentOutcome, AppError> {
    let actor = &actor.require(Permission::TakeContact, "take contacts")?;
    let now = app.now();
    let mut request = request;
    let location = &mut request.draft.location;
    let pin = location.lat.zip(location.lon);
    location.fix =
        crate::gazetteer::locate(app, request.chosen.as_ref(), location.uprn.as_deref(), pin)
            .await?;
    if let Some(chosen) = request.chosen.as_ref().filter(|c| c.kind == "address")
        && location.uprn.is_none()
    {
        location.uprn = Some(chosen.key.trim().to_owned());
    }
    // Check the input before queueing for the write lock.
    let contact =
        request
            .draft
            .into_contact(ContactId(Uuid::now_v7()), actor.username.clone(), now)?;
    let incident_type = request
        .incident_type
        .as_deref()
        .filter(|t| !t.trim().is_empty())
        .map(|t| crate::first_contact::incident_type_code(app, "incident_type", t))
        .transpose()?;

    let mut tx = app.store.begin().await?;
    if let Some(first) = earlier_outcome(tx.as_mut(), actor, idempotency).await? {
        return Ok(first);
    }
    match request.join {
        Some(id) => {
            let current = load_incident(app, tx.as_mut(), id).await?.ok_or_else(|| {
                Invalid::new(
                    "incident_id",
                    format!("there is no incident with id {id} to join"),
                )
            })?;
            let events = decide(Some(&current), IncidentCommand::JoinContact { contact })?;
            record(app, tx, actor, Some(current), events, idempotency).await
        }
        None => {
            let day = now.to_zoned(app.settings.time_zone.clone()).date();
            let number = tx
                .next_incident_number(&day.strftime("%Y%m%d").to_string())
                .await?;
            let open = IncidentCommand::Open {
                id: IncidentId(Uuid::now_v7()),
                reference: IncidentRef::new(day, number),
                incident_type,
                contact,
            };
            let events = decide(None, open)?;
            record(app, tx, actor, None, events, idempotency).await
        }
    }
}
