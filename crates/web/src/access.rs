//! Who may call each operation of the API: the one table the edge checks before it reads a
//! body or a path, with the permission it needs (`Role::may` in the domain decides which
//! roles hold it). The use cases check again. A test walks every operation in the OpenAPI
//! document for every role against this table, so an operation without a decision fails it.

use controlroom_domain::roles::Permission;

/// What calling an operation needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, signed in or not (signing in, the API description).
    Public,
    /// Anyone signed in, whatever their roles.
    SignedIn,
    /// A permission, described in words for the refusal ("grade incidents").
    Needs(Permission, &'static str),
}

use Access::{Needs, Public, SignedIn};
use Permission::*;

/// Every operation: method, path as routed (under `/api/v1`), and what it needs.
pub const OPERATIONS: &[(&str, &str, Access)] = &[
    (
        "GET",
        "/api/v1/addresses",
        Needs(ViewIncidents, "search addresses"),
    ),
    (
        "GET",
        "/api/v1/addresses/near",
        Needs(ViewIncidents, "search addresses"),
    ),
    ("GET", "/api/v1/map", SignedIn),
    (
        "GET",
        "/api/v1/map/streets",
        Needs(ViewIncidents, "see the map"),
    ),
    ("POST", "/api/v1/session", Public),
    ("GET", "/api/v1/session", SignedIn),
    ("DELETE", "/api/v1/session", SignedIn),
    ("GET", "/api/v1/openapi.json", Public),
    ("GET", "/api/v1/reference", SignedIn),
    ("POST", "/api/v1/hocr/count", SignedIn),
    (
        "POST",
        "/api/v1/contacts",
        Needs(TakeContact, "take contacts"),
    ),
    (
        "GET",
        "/api/v1/incidents",
        Needs(ViewIncidents, "view incidents"),
    ),
    (
        "GET",
        "/api/v1/events",
        Needs(ViewIncidents, "view incidents"),
    ),
    (
        "GET",
        "/api/v1/incidents/{id}",
        Needs(ViewIncidents, "view incidents"),
    ),
    (
        "POST",
        "/api/v1/incidents/{id}/log",
        Needs(WriteIncidentLog, "write to incident logs"),
    ),
    (
        "POST",
        "/api/v1/incidents/{id}/grade",
        Needs(GradeIncident, "grade incidents"),
    ),
    (
        "POST",
        "/api/v1/incidents/{id}/close",
        Needs(CloseIncident, "close incidents"),
    ),
    (
        "POST",
        "/api/v1/incidents/{id}/reopen",
        Needs(ReopenIncident, "reopen incidents"),
    ),
    (
        "POST",
        "/api/v1/incidents/{id}/duplicate",
        Needs(CloseIncident, "close incidents as duplicates"),
    ),
    (
        "POST",
        "/api/v1/incidents/{id}/resolve",
        Needs(CloseIncident, "resolve incidents"),
    ),
    (
        "POST",
        "/api/v1/incidents/{id}/classify",
        Needs(GradeIncident, "classify incidents"),
    ),
    (
        "POST",
        "/api/v1/incidents/{id}/thrive",
        Needs(GradeIncident, "record THRIVE assessments"),
    ),
    (
        "POST",
        "/api/v1/incidents/{id}/vulnerability",
        Needs(GradeIncident, "record vulnerability"),
    ),
    (
        "POST",
        "/api/v1/incidents/{id}/dash",
        Needs(GradeIncident, "record DASH assessments"),
    ),
    (
        "POST",
        "/api/v1/incidents/{id}/signpost",
        Needs(GradeIncident, "record signposting"),
    ),
    (
        "POST",
        "/api/v1/incidents/{id}/answers",
        Needs(GradeIncident, "answer the questions on a call"),
    ),
    (
        "POST",
        "/api/v1/incidents/{id}/unattended-closure-approval",
        Needs(
            ApproveUnattendedClosure,
            "approve closing an incident no unit attended",
        ),
    ),
    (
        "POST",
        "/api/v1/incidents/{id}/intelligence",
        Needs(
            WriteIncidentLog,
            "run an intelligence check on an incident (it is written to the incident log)",
        ),
    ),
    (
        "GET",
        "/api/v1/incidents/{id}/links",
        Needs(ViewIncidents, "view incidents"),
    ),
    (
        "POST",
        "/api/v1/incidents/{id}/crimes",
        Needs(RecordCrime, "record crimes"),
    ),
    (
        "POST",
        "/api/v1/incidents/{id}/non-crime",
        Needs(RecordCrime, "make crime-recording decisions"),
    ),
    (
        "POST",
        "/api/v1/incidents/{id}/appointment",
        Needs(GradeIncident, "book appointments"),
    ),
    (
        "POST",
        "/api/v1/incidents/{id}/appointment/cancel",
        Needs(GradeIncident, "change appointments"),
    ),
    (
        "POST",
        "/api/v1/incidents/{id}/appointment/missed",
        Needs(GradeIncident, "change appointments"),
    ),
    (
        "GET",
        "/api/v1/incidents/{id}/recommendations",
        Needs(ViewIncidents, "view incidents"),
    ),
    (
        "POST",
        "/api/v1/incidents/{id}/assign",
        Needs(DispatchUnits, "dispatch units"),
    ),
    (
        "GET",
        "/api/v1/crimes",
        Needs(ReviewCrimeRecording, "list crime records"),
    ),
    (
        "POST",
        "/api/v1/crimes",
        Needs(RecordCrime, "record crimes"),
    ),
    (
        "GET",
        "/api/v1/crimes/{id}",
        Needs(ViewIncidents, "read crime records"),
    ),
    (
        "GET",
        "/api/v1/crimes/by-reference/{reference}",
        Needs(ViewIncidents, "read crime records"),
    ),
    (
        "POST",
        "/api/v1/crimes/{id}/reclassify",
        Needs(RecordCrime, "reclassify crimes"),
    ),
    (
        "POST",
        "/api/v1/crimes/{id}/cancellation",
        Needs(RecordCrime, "ask for a crime to be removed"),
    ),
    (
        "POST",
        "/api/v1/crimes/{id}/cancellation/approve",
        Needs(ApproveCrimeCancellation, "approve the removal of a crime"),
    ),
    (
        "POST",
        "/api/v1/crimes/{id}/cancellation/decline",
        Needs(ApproveCrimeCancellation, "decline the removal of a crime"),
    ),
    (
        "GET",
        "/api/v1/incidents/{id}/referrals",
        Needs(ViewIncidents, "see referrals"),
    ),
    (
        "POST",
        "/api/v1/incidents/{id}/referrals/{referral}",
        Needs(Refer, "make safeguarding referrals"),
    ),
    (
        "GET",
        "/api/v1/incidents/{id}/tasks",
        Needs(ViewIncidents, "see tasks"),
    ),
    (
        "POST",
        "/api/v1/incidents/{id}/tasks/{task}",
        Needs(SetTasks, "set and work tasks"),
    ),
    (
        "GET",
        "/api/v1/tasks",
        Needs(SetTasks, "see the task board"),
    ),
    ("POST", "/api/v1/messages", Needs(SetTasks, "send messages")),
    ("GET", "/api/v1/messages", SignedIn),
    ("POST", "/api/v1/messages/read", SignedIn),
    (
        "POST",
        "/api/v1/incidents/{id}/partners",
        Needs(Refer, "send incidents to partner agencies"),
    ),
    (
        "GET",
        "/api/v1/incidents/{id}/partners",
        Needs(ViewIncidents, "see partner incidents"),
    ),
    (
        "POST",
        "/api/v1/partner-messages",
        Needs(Refer, "receive partner messages"),
    ),
    (
        "GET",
        "/api/v1/partner-messages/flagged",
        Needs(Refer, "read flagged partner messages"),
    ),
    (
        "POST",
        "/api/v1/partner-messages/flagged/{id}/resolve",
        Needs(Refer, "deal with flagged partner messages"),
    ),
    (
        "GET",
        "/api/v1/teams",
        Needs(ViewIncidents, "see the team directory"),
    ),
    // A supervisor or an administrator (the use case decides: two permissions, either).
    ("POST", "/api/v1/teams/{team}/members", SignedIn),
    (
        "POST",
        "/api/v1/crimes/{id}/investigation",
        Needs(Investigate, "investigate crimes"),
    ),
    (
        "POST",
        "/api/v1/crimes/{id}/supervision",
        Needs(SuperviseInvestigation, "supervise investigations"),
    ),
    (
        "POST",
        "/api/v1/crimes/{id}/scenes",
        Needs(AttendScenes, "attend crime scenes"),
    ),
    (
        "GET",
        "/api/v1/investigation/work",
        Needs(Investigate, "see the investigation work lists"),
    ),
    (
        "GET",
        "/api/v1/investigation/scenes",
        Needs(AttendScenes, "see the CSI queue"),
    ),
    (
        "GET",
        "/api/v1/crime-recording/queue",
        Needs(ReviewCrimeRecording, "see the crime-recording queue"),
    ),
    (
        "GET",
        "/api/v1/crime-recording/compliance",
        Needs(ReviewCrimeRecording, "see crime-recording compliance"),
    ),
    (
        "GET",
        "/api/v1/crime-recording/integrity-check",
        Needs(ReviewCrimeRecording, "run the crime data integrity check"),
    ),
    (
        "POST",
        "/api/v1/people",
        Needs(RecordIntelligence, "record people"),
    ),
    (
        "PUT",
        "/api/v1/people/{id}",
        Needs(RecordIntelligence, "change people's records"),
    ),
    (
        "POST",
        "/api/v1/people/{id}/merge",
        Needs(MergeRecords, "merge person records"),
    ),
    (
        "POST",
        "/api/v1/people/{id}/unmerge",
        Needs(MergeRecords, "unmerge person records"),
    ),
    (
        "POST",
        "/api/v1/vehicles",
        Needs(RecordIntelligence, "record vehicles"),
    ),
    (
        "POST",
        "/api/v1/locations",
        Needs(RecordIntelligence, "record locations"),
    ),
    (
        "POST",
        "/api/v1/property",
        Needs(RecordIntelligence, "record property"),
    ),
    (
        "GET",
        "/api/v1/records/{kind}/{id}",
        Needs(ViewIncidents, "read intelligence records"),
    ),
    (
        "POST",
        "/api/v1/records/{kind}/{id}/markers",
        Needs(ManageMarkers, "add warning markers"),
    ),
    (
        "POST",
        "/api/v1/records/{kind}/{id}/markers/{number}/withdraw",
        Needs(ManageMarkers, "withdraw warning markers"),
    ),
    (
        "POST",
        "/api/v1/records/{kind}/{id}/links",
        Needs(RecordIntelligence, "link records to incidents"),
    ),
    (
        "GET",
        "/api/v1/warnings",
        Needs(ViewIncidents, "view incidents"),
    ),
    (
        "POST",
        "/api/v1/search",
        Needs(ViewIncidents, "search intelligence"),
    ),
    (
        "POST",
        "/api/v1/search-index/rebuild",
        Needs(RebuildSearchIndex, "rebuild the search index"),
    ),
    (
        "GET",
        "/api/v1/search-index/rebuild",
        Needs(RebuildSearchIndex, "see the search index rebuild"),
    ),
    ("GET", "/api/v1/units", Needs(ViewIncidents, "see units")),
    (
        "POST",
        "/api/v1/units",
        Needs(ManageResources, "manage units"),
    ),
    (
        "POST",
        "/api/v1/units/{id}/position",
        Needs(ManageResources, "report unit positions"),
    ),
    (
        "POST",
        "/api/v1/units/{id}/status",
        Needs(DispatchUnits, "change unit status"),
    ),
    (
        "POST",
        "/api/v1/units/{id}/reassign",
        Needs(DispatchUnits, "dispatch units"),
    ),
    (
        "GET",
        "/api/v1/diary",
        Needs(ViewIncidents, "see the diary"),
    ),
    (
        "GET",
        "/api/v1/diary/next",
        Needs(ViewIncidents, "see the diary"),
    ),
    (
        "POST",
        "/api/v1/diary/slots",
        Needs(ManageResources, "manage the diary"),
    ),
    (
        "GET",
        "/api/v1/users",
        Needs(ManageUsers, "manage user accounts"),
    ),
    (
        "POST",
        "/api/v1/users",
        Needs(ManageUsers, "manage user accounts"),
    ),
    (
        "PUT",
        "/api/v1/users/{username}/roles",
        Needs(ManageUsers, "manage user accounts"),
    ),
    // Your own password, or (checked by the use case) anyone's as an administrator.
    ("PUT", "/api/v1/users/{username}/password", SignedIn),
    (
        "GET",
        "/api/v1/audit/verify",
        Needs(VerifyAuditTrail, "verify the audit trail"),
    ),
];

/// What an operation needs; `None` when the table has no decision for it.
pub fn of(method: &str, path: &str) -> Option<Access> {
    OPERATIONS
        .iter()
        .find(|(m, p, _)| *m == method && *p == path)
        .map(|(_, _, access)| *access)
}
