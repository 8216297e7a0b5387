//! Partner incidents (issue 17): the JSON shape in which an incident is sent to, or received
//! from, a partner control room (ambulance, fire, another force), and the reading of what a
//! partner sends: either a [`PartnerIncident`] in our documented shape, or the message kept
//! exactly as received and flagged for a person to read, with every reason ([`receive`]).
//! Nothing a partner sends is lost.
//!
//! The shape is OUR OWN documented subset, named after NENA's Emergency Incident Data Object
//! (EIDO, NENA-STA-021.1a-2022, JSON; schema published at github.com/NENA911/EIDO-JSON) where a
//! field means the same: `$id` is EIDO's Incident Tracking Identifier (`urn:emergency:uid:
//! incidentid:<unique>:<agency>`), `lastUpdateTimeStamp` and `updatedByAgencyReference` its
//! component prologue, `incidentComponent`, `locationComponent`, `notesComponent` and
//! `linkComponent` its components with the same member names. It is not an EIDO: EIDO places
//! locations as PIDF-LO XML and people as NIEM objects, requires registry values we cannot
//! verify, and carries a full component graph by reference. The UK Multi-Agency Incident
//! Transfer standard (MAIT, British APCO; an XML schema adopted as a UK government open
//! standard) is not public in enough detail to map field by field; its use of UPRN for
//! property and WGS 84 for points is followed. `docs/PARTNER-INCIDENTS.md` is the mapping
//! table.
//!
//! The transport (file drop, HTTP, a MAIT hub) is the application's adapter; this module only
//! builds and reads the documents.

use crate::contact::Location;
use crate::incident::Incident;
use crate::limits;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The version of our shape, carried in every message as `formatVersion`.
pub const FORMAT: &str = "controlroom-partner-incident/1";

/// The prefix of an EIDO Incident Tracking Identifier (NENA-STA-021.1a, after STA-010).
pub const TRACKING_ID_PREFIX: &str = "urn:emergency:uid:incidentid:";

/// The most notes one message may carry.
pub const MAX_NOTES: usize = 100;

/// A reference to another component or agency, as EIDO writes it: `{"$ref": "<id>"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reference {
    #[serde(rename = "$ref")]
    pub reference: String,
}

/// Why a message was sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageKind {
    /// A new incident for the partner.
    New,
    /// A change to one already sent (each message carries the whole current state, as an
    /// EIDO does).
    Update,
    /// The sender closed its incident.
    Close,
}

/// EIDO `incidentComponent`, the members we carry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct IncidentComponent {
    /// The sender's own reference (ours: `20261122-0042`).
    pub internal_incident_id: String,
    /// The sender's incident type code (ours: `incident-types.psv`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incident_type_internal_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incident_type_internal_text: Option<String>,
    /// EIDO's Incident Type registry value, when the sender knows it (EIDO requires it; we do
    /// not, as the registry's values are not verified here).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incident_type_common_registry_text: Option<String>,
    /// The sender's own status words (ours: `open`, `graded`, `dispatched`, `at_scene`,
    /// `resolved`, `closed`).
    #[serde(default)]
    pub incident_status_internal_text: Vec<String>,
    /// The sender's priority (ours: the grade, `emergency` ... `signposted`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incident_priority_internal_text: Option<String>,
}

/// EIDO `locationComponent`, with the position given directly (EIDO uses PIDF-LO XML in
/// `locationByValue`, which we neither write nor read).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct LocationComponent {
    /// EIDO's location type registry value; we write `Incident`.
    pub location_type_description_registry_text: String,
    /// The address or place as described.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location_description_text: Option<String>,
    /// OURS (MAIT practice): the Unique Property Reference Number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uprn: Option<String>,
    /// OURS: WGS 84 latitude and longitude in degrees.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latitude: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub longitude: Option<f64>,
}

/// EIDO `notesComponent`, simplified: the text, when and (OURS) who wrote it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct NotesComponent {
    pub notes_action_comments: String,
    pub last_update_time_stamp: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
}

/// EIDO's link direction codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum LinkDirection {
    Parent,
    Child,
    Related,
    Unlink,
}

/// EIDO `linkComponent`: another incident about the same event (a partner's, or ours).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct LinkComponent {
    pub incident_tracking_identifier: String,
    pub link_direction_code: LinkDirection,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction_reason_text: Option<String>,
}

/// One partner incident message in our documented shape.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PartnerIncident {
    /// EIDO's Incident Tracking Identifier: globally unique, the same on every message about
    /// this incident from its sender.
    #[serde(rename = "$id")]
    pub tracking_id: String,
    /// [`FORMAT`].
    pub format_version: String,
    pub last_update_time_stamp: Timestamp,
    /// The sending agency's id (e.g. its domain, `ambulance.example.nhs.uk`).
    pub updated_by_agency_reference: Reference,
    /// OURS: why the message was sent.
    pub message_kind: MessageKind,
    pub incident_component: IncidentComponent,
    #[serde(default)]
    pub location_component: Vec<LocationComponent>,
    #[serde(default)]
    pub notes_component: Vec<NotesComponent>,
    #[serde(default)]
    pub link_component: Vec<LinkComponent>,
}

impl PartnerIncident {
    /// Our incident as a message to a partner. `agency` is our agency id (the force's domain),
    /// used in the tracking id and as the sender. Only what a partner needs to respond is sent:
    /// the type, status, grade, location and what the first caller said; callers, people and
    /// the log stay with us (data minimisation: DPA 2018 s.37, Part 3 second principle).
    pub fn from_incident(
        incident: &Incident,
        agency: &str,
        kind: MessageKind,
        now: Timestamp,
    ) -> Self {
        let first = incident.contacts.first();
        Self {
            tracking_id: tracking_id(&incident.id.to_string(), agency),
            format_version: FORMAT.to_owned(),
            last_update_time_stamp: now,
            updated_by_agency_reference: Reference {
                reference: agency.to_owned(),
            },
            message_kind: kind,
            incident_component: IncidentComponent {
                internal_incident_id: incident.reference.to_string(),
                incident_type_internal_code: incident.incident_type.as_ref().map(|t| t.to_string()),
                incident_type_internal_text: None,
                incident_type_common_registry_text: None,
                incident_status_internal_text: vec![incident.status.as_str().to_owned()],
                incident_priority_internal_text: incident.grade().map(|g| g.as_str().to_owned()),
            },
            location_component: first
                .map(|c| vec![location(&c.location)])
                .unwrap_or_default(),
            notes_component: first
                .map(|c| {
                    vec![NotesComponent {
                        notes_action_comments: c.summary.clone(),
                        last_update_time_stamp: c.received_at,
                        author: Some(c.handler.to_string()),
                    }]
                })
                .unwrap_or_default(),
            link_component: Vec::new(),
        }
    }

    /// Whether this message links its incident to ours (`our_tracking_id`): the partner says
    /// it is about the same event, so the application links the two as one.
    pub fn links_to(&self, our_tracking_id: &str) -> bool {
        let mut linked = false;
        // Links are read in order: a later UNLINK undoes an earlier link.
        for link in self.link_component.iter().filter(|l| {
            l.incident_tracking_identifier
                .eq_ignore_ascii_case(our_tracking_id)
        }) {
            linked = link.link_direction_code != LinkDirection::Unlink;
        }
        linked
    }
}

/// Our incident's tracking id at `agency`: `urn:emergency:uid:incidentid:<uuid>:<agency>`.
pub fn tracking_id(incident: &str, agency: &str) -> String {
    format!("{TRACKING_ID_PREFIX}{incident}:{agency}")
}

fn location(l: &Location) -> LocationComponent {
    LocationComponent {
        location_type_description_registry_text: "Incident".to_owned(),
        location_description_text: Some(l.text.clone()),
        uprn: l.uprn.as_ref().map(|u| u.as_str().to_owned()),
        latitude: l.coordinates.as_ref().map(|c| c.lat),
        longitude: l.coordinates.as_ref().map(|c| c.lon),
    }
}

/// One reason a received message does not fit: where (a JSON path) and what.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Misfit {
    pub path: String,
    pub message: String,
}

/// A message kept exactly as received, for a person to read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flagged {
    /// The message, byte for byte as received.
    pub raw: String,
    pub received_at: Timestamp,
    /// The tracking id, when one could be read (to show beside the incident it may concern).
    pub tracking_id: Option<String>,
    pub reasons: Vec<Misfit>,
}

/// What became of a received message.
#[derive(Debug, Clone, PartialEq)]
pub enum Received {
    Valid(Box<PartnerIncident>),
    /// Kept as received and flagged: never dropped.
    Flagged(Flagged),
}

const TOP: [&str; 9] = [
    "$id",
    "formatVersion",
    "lastUpdateTimeStamp",
    "updatedByAgencyReference",
    "messageKind",
    "incidentComponent",
    "locationComponent",
    "notesComponent",
    "linkComponent",
];

/// Read a message a partner sent. Every problem found is listed (not only the first), so the
/// person reading the flagged message sees all that is wrong with it.
pub fn receive(raw: &str, received_at: Timestamp) -> Received {
    let mut reasons = Vec::new();
    let flagged = |reasons: Vec<Misfit>, tracking_id: Option<String>| {
        Received::Flagged(Flagged {
            raw: raw.to_owned(),
            received_at,
            tracking_id,
            reasons,
        })
    };
    let value: Value = match serde_json::from_str(raw) {
        Ok(v) => v,
        Err(e) => {
            add(&mut reasons, "$", format!("not JSON: {e}"));
            return flagged(reasons, None);
        }
    };
    let Some(object) = value.as_object() else {
        add(&mut reasons, "$", "not a JSON object".into());
        return flagged(reasons, None);
    };
    let tracking = object.get("$id").and_then(Value::as_str).map(str::to_owned);
    for key in object.keys().filter(|k| !TOP.contains(&k.as_str())) {
        add(
            &mut reasons,
            key,
            "not a member of our documented shape (docs/PARTNER-INCIDENTS.md): kept, not read"
                .into(),
        );
    }
    match tracking.as_deref() {
        None => add(
            &mut reasons,
            "$id",
            "the incident tracking identifier is missing".into(),
        ),
        Some(id)
            if !id
                .get(..TRACKING_ID_PREFIX.len())
                .is_some_and(|p| p.eq_ignore_ascii_case(TRACKING_ID_PREFIX)) =>
        {
            add(
                &mut reasons,
                "$id",
                format!("'{id}' is not an incident tracking identifier ({TRACKING_ID_PREFIX}...)"),
            )
        }
        Some(_) => {}
    }
    match object.get("formatVersion").and_then(Value::as_str) {
        Some(FORMAT) => {}
        Some(other) => add(
            &mut reasons,
            "formatVersion",
            format!("'{other}' is not a version we read ({FORMAT})"),
        ),
        None => add(
            &mut reasons,
            "formatVersion",
            format!("missing (expected {FORMAT})"),
        ),
    }
    match object.get("lastUpdateTimeStamp").and_then(Value::as_str) {
        Some(t) if t.parse::<Timestamp>().is_ok() => {}
        _ => add(
            &mut reasons,
            "lastUpdateTimeStamp",
            "missing, or not an RFC 3339 time with an offset".into(),
        ),
    }
    if object
        .get("updatedByAgencyReference")
        .and_then(|r| r.get("$ref"))
        .and_then(Value::as_str)
        .is_none_or(|r| r.trim().is_empty())
    {
        add(
            &mut reasons,
            "updatedByAgencyReference",
            "the sending agency ({\"$ref\": \"<agency id>\"}) is missing".into(),
        );
    }
    match object.get("messageKind").and_then(Value::as_str) {
        Some("new" | "update" | "close") => {}
        _ => add(
            &mut reasons,
            "messageKind",
            "missing, or not new, update or close".into(),
        ),
    }
    match object.get("incidentComponent") {
        Some(Value::Object(incident)) => {
            if incident
                .get("internalIncidentId")
                .and_then(Value::as_str)
                .is_none_or(|r| r.trim().is_empty())
            {
                add(
                    &mut reasons,
                    "incidentComponent.internalIncidentId",
                    "the sender's own incident reference is missing".into(),
                );
            }
        }
        _ => add(
            &mut reasons,
            "incidentComponent",
            "missing, or not an object".into(),
        ),
    }
    if let Some(locations) = object.get("locationComponent").and_then(Value::as_array) {
        for (i, l) in locations.iter().enumerate() {
            let degrees = |name: &str, limit: f64| match l.get(name) {
                None | Some(Value::Null) => None,
                Some(v) => match v.as_f64() {
                    Some(d) if d.abs() <= limit => None,
                    _ => Some(format!("not a WGS 84 {name} in degrees (within ±{limit})")),
                },
            };
            for (name, limit) in [("latitude", 90.0), ("longitude", 180.0)] {
                if let Some(problem) = degrees(name, limit) {
                    add(
                        &mut reasons,
                        &format!("locationComponent[{i}].{name}"),
                        problem,
                    );
                }
            }
        }
    }
    if let Some(notes) = object.get("notesComponent").and_then(Value::as_array) {
        if notes.len() > MAX_NOTES {
            add(
                &mut reasons,
                "notesComponent",
                format!("{} notes: at most {MAX_NOTES}", notes.len()),
            );
        }
        for (i, n) in notes.iter().enumerate() {
            if let Some(text) = n.get("notesActionComments").and_then(Value::as_str)
                && text.chars().count() > limits::NARRATIVE
            {
                add(
                    &mut reasons,
                    &format!("notesComponent[{i}].notesActionComments"),
                    format!("longer than {} characters", limits::NARRATIVE),
                );
            }
        }
    }
    if !reasons.is_empty() {
        return flagged(reasons, tracking);
    }
    // The checks above find what a person can act on; the typed reading catches the rest
    // (wrong types deeper in, unknown members of components), still keeping the message.
    match serde_json::from_value::<PartnerIncident>(value) {
        Ok(incident) => Received::Valid(Box::new(incident)),
        Err(e) => {
            add(
                &mut reasons,
                "$",
                format!("does not fit our documented shape: {e}"),
            );
            flagged(reasons, tracking)
        }
    }
}

fn add(reasons: &mut Vec<Misfit>, path: &str, message: String) {
    reasons.push(Misfit {
        path: path.to_owned(),
        message,
    });
}

/// What we hold of one partner incident, or of one message that could not be read: a stream
/// of its own, `partner/{tracking id}` for an incident (ours sent out, or a partner's
/// received), `partner/flagged/{uuid}` for a message kept as received and flagged. Stored
/// names are never renamed (pinned in `aggregate.rs`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, strum::IntoStaticStr)]
#[cfg_attr(test, derive(strum::VariantNames))]
#[serde(tag = "type", rename_all = "snake_case")]
#[strum(serialize_all = "snake_case", prefix = "partner.")]
pub enum PartnerEvent {
    /// We sent our incident to a partner (`to`: the partner's agency code).
    Sent {
        to: String,
        incident: crate::incident::IncidentId,
        message: Box<PartnerIncident>,
    },
    /// A partner sent its incident (new, update or close): the whole state, kept whole.
    Received { message: Box<PartnerIncident> },
    /// The partner's incident is the same event as ours: one incident on both sides.
    Linked {
        incident: crate::incident::IncidentId,
    },
    /// A message that does not fit our shape, kept byte for byte with every reason.
    Flagged { flagged: Flagged },
    /// A person read a flagged message and said what they did about it.
    FlagResolved { note: String },
}

/// A partner stream folded: the latest message either way, the incident it is linked to, and
/// a flagged message with whether a person has dealt with it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PartnerRecord {
    /// The stream key: a tracking id, or `flagged/<uuid>`.
    pub key: String,
    /// The latest message received from the partner (`None` for ours, or a flagged one).
    pub received: Option<PartnerIncident>,
    pub messages_received: usize,
    /// The messages we sent: to whom, when.
    pub sent: Vec<(String, Timestamp)>,
    pub linked_to: Option<crate::incident::IncidentId>,
    pub flagged: Option<Flagged>,
    /// Who dealt with the flagged message, when, and what they said.
    pub resolved: Option<(crate::user::Username, Timestamp, String)>,
}

impl crate::aggregate::Aggregate for PartnerRecord {
    type Id = String;
    type Event = PartnerEvent;

    fn stream(key: &String) -> crate::stream::StreamId {
        crate::stream::StreamId::new(crate::stream::StreamKind::Partner, key)
    }

    fn apply(
        state: Option<Self>,
        e: crate::aggregate::Folding<'_, Self>,
    ) -> Result<Self, crate::aggregate::FoldError> {
        let mut record = state.unwrap_or_else(|| PartnerRecord {
            key: e.id.clone(),
            received: None,
            messages_received: 0,
            sent: Vec::new(),
            linked_to: None,
            flagged: None,
            resolved: None,
        });
        match e.event() {
            PartnerEvent::Sent { to, incident, .. } => {
                record.sent.push((to.clone(), e.stamped.at));
                record.linked_to.get_or_insert(*incident);
            }
            PartnerEvent::Received { message } => {
                record.received = Some((**message).clone());
                record.messages_received += 1;
            }
            PartnerEvent::Linked { incident } => record.linked_to = Some(*incident),
            PartnerEvent::Flagged { flagged } => record.flagged = Some(flagged.clone()),
            PartnerEvent::FlagResolved { note } => {
                if record.flagged.is_none() {
                    return Err(e.misfit("only a flagged message is resolved"));
                }
                record.resolved = Some((e.stamped.by.clone(), e.stamped.at, note.clone()));
            }
        }
        Ok(record)
    }
}

/// Our incident's id, when `tracking_id` is one of ours (`…incidentid:<uuid>:<our agency>`).
pub fn our_incident(tracking_id: &str, agency: &str) -> Option<crate::incident::IncidentId> {
    let rest = tracking_id.get(TRACKING_ID_PREFIX.len()..)?;
    let (id, at) = rest.split_once(':')?;
    if !at.eq_ignore_ascii_case(agency) {
        return None;
    }
    id.parse().ok().map(crate::incident::IncidentId)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::incident::tests::{at, open_as, run};
    use proptest::prelude::*;

    fn ambulance_message() -> String {
        serde_json::json!({
            "$id": "urn:emergency:uid:incidentid:a56e556d871:ambulance.example.nhs.uk",
            "formatVersion": FORMAT,
            "lastUpdateTimeStamp": "2026-11-23T14:05:00Z",
            "updatedByAgencyReference": {"$ref": "ambulance.example.nhs.uk"},
            "messageKind": "new",
            "incidentComponent": {
                "internalIncidentId": "AMB-0042",
                "incidentTypeInternalText": "Assault, patient with head injury",
                "incidentStatusInternalText": ["crew on scene"]
            },
            "locationComponent": [{
                "locationTypeDescriptionRegistryText": "Incident",
                "locationDescriptionText": "outside 12 High Street, Leeds",
                "uprn": "72012345",
                "latitude": 53.7997, "longitude": -1.5492
            }],
            "linkComponent": [{
                "incidentTrackingIdentifier": "urn:emergency:uid:incidentid:00000000-0000-0000-0000-000000000001:police.example",
                "linkDirectionCode": "RELATED",
                "transactionReasonText": "same assault"
            }]
        })
        .to_string()
    }

    #[test]
    fn a_valid_partner_message_is_read_and_links_to_ours() {
        let Received::Valid(incident) = receive(&ambulance_message(), at(0)) else {
            panic!("expected a valid message");
        };
        assert_eq!(incident.incident_component.internal_incident_id, "AMB-0042");
        assert_eq!(
            incident.location_component[0].uprn.as_deref(),
            Some("72012345")
        );
        let ours = tracking_id("00000000-0000-0000-0000-000000000001", "police.example");
        assert!(incident.links_to(&ours));
        assert!(!incident.links_to("urn:emergency:uid:incidentid:other:police.example"));
    }

    // Issue 17: a message that does not fit is kept as received and flagged, with every
    // reason, never dropped.
    #[test]
    fn an_invalid_message_is_kept_byte_for_byte_and_flagged_with_every_reason() {
        let mut value: Value = serde_json::from_str(&ambulance_message()).unwrap();
        value["$id"] = "AMB-0042".into();
        value["formatVersion"] = "eido-1.0".into();
        value["locationComponent"][0]["latitude"] = 123.0.into();
        value["callComponent"] = serde_json::json!([]);
        let raw = value.to_string();
        let Received::Flagged(flagged) = receive(&raw, at(3)) else {
            panic!("expected it flagged");
        };
        assert_eq!(flagged.raw, raw);
        assert_eq!(flagged.received_at, at(3));
        assert_eq!(flagged.tracking_id.as_deref(), Some("AMB-0042"));
        let paths: Vec<&str> = flagged.reasons.iter().map(|r| r.path.as_str()).collect();
        for expected in [
            "$id",
            "formatVersion",
            "locationComponent[0].latitude",
            "callComponent",
        ] {
            assert!(paths.contains(&expected), "{expected} in {paths:?}");
        }
        for garbage in ["", "not json", "[1,2]", "{}"] {
            let Received::Flagged(f) = receive(garbage, at(0)) else {
                panic!("{garbage:?} should be flagged");
            };
            assert_eq!(f.raw, garbage);
            assert!(!f.reasons.is_empty());
        }
        // A wrong type deep inside is caught by the typed reading, still kept.
        let mut deep: Value = serde_json::from_str(&ambulance_message()).unwrap();
        deep["linkComponent"][0]["linkDirectionCode"] = "SIDEWAYS".into();
        assert!(matches!(
            receive(&deep.to_string(), at(0)),
            Received::Flagged(_)
        ));
    }

    #[test]
    fn our_incident_goes_out_in_the_documented_shape_and_reads_back() {
        let incident = run(vec![open_as(Some("CONCERN_FOR_SAFETY"))]).unwrap();
        let out =
            PartnerIncident::from_incident(&incident, "police.example", MessageKind::New, at(1));
        assert!(out.tracking_id.starts_with(TRACKING_ID_PREFIX));
        assert_eq!(
            out.incident_component.incident_status_internal_text,
            ["open"]
        );
        let json = serde_json::to_string(&out).unwrap();
        assert_eq!(receive(&json, at(2)), Received::Valid(Box::new(out)));
    }

    proptest! {
        /// Whatever arrives, nothing is lost: a flagged message keeps the exact text.
        #[test]
        fn nothing_received_is_lost(raw in ".{0,200}") {
            match receive(&raw, at(0)) {
                Received::Flagged(f) => prop_assert_eq!(f.raw, raw),
                Received::Valid(_) => {}
            }
        }
    }
}
