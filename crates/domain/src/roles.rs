//! Roles and what each may do. Enforced in the use cases (crate `app`), not only at the HTTP
//! edge, so every door into the system applies the same rules.

use crate::text::Invalid;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[derive(strum::IntoStaticStr, strum::EnumString)]
#[strum(serialize_all = "snake_case")]
pub enum Role {
    ContactHandler,
    Dispatcher,
    CrimeRecorder,
    /// The force crime registrar: the final arbiter of crime recording in the force (HOCR
    /// Section C), the only role that may approve removing a recorded crime.
    CrimeRegistrar,
    Supervisor,
    Auditor,
    Admin,
    /// Investigates recorded crimes: screens them, plans and works the lines of enquiry, keeps
    /// the victim informed under the Victims' Code and proposes the outcome.
    Investigator,
    /// A crime scene investigator (scenes of crime officer): books, attends and records the
    /// result of forensic examinations the investigation asks for.
    Csi,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, strum::IntoStaticStr)]
#[strum(serialize_all = "snake_case")]
pub enum Permission {
    /// Take a contact: open an incident or join a contact to one.
    TakeContact,
    /// Read incidents, their contacts and logs (personal data: every read is audited).
    ViewIncidents,
    WriteIncidentLog,
    GradeIncident,
    CloseIncident,
    ReopenIncident,
    ManageUsers,
    VerifyAuditTrail,
    /// Register units and report their positions.
    ManageResources,
    /// Send units to incidents and change their status.
    DispatchUnits,
    /// Make the NCRS recording decision: record a crime, reclassify it, or record a non-crime
    /// decision with its rationale.
    RecordCrime,
    /// Approve removing (cancelling) a recorded crime for one of the HOCR Section C reasons.
    ApproveCrimeCancellation,
    /// See the recording-decision queue, the on-time share and the crime data integrity
    /// check: the work of recorders and what supervisors and auditors inspect.
    ReviewCrimeRecording,
    /// Approve closing an emergency or priority incident that no unit attended.
    ApproveUnattendedClosure,
    /// Record people, vehicles, locations and property, and link them to incidents.
    RecordIntelligence,
    /// Add and withdraw warning markers (officer-safety information).
    ManageMarkers,
    /// Merge two person records as one, or undo it (a data-quality decision).
    MergeRecords,
    /// Load the force's gazetteer (addresses, streets, named places, postcode centroids).
    ManageGazetteer,
    /// Rebuild a server's search index while it runs (maintenance: nothing is shown).
    RebuildSearchIndex,
    /// Make the screening decision on a recorded crime: screen it in (and allocate it) or file
    /// it pending new information, with the factors and the rationale.
    ScreenCrime,
    /// Work a crime's investigation: lines of enquiry, CSI requests, the victim's needs
    /// assessment and updates, links, flags, and proposing the outcome; reopen on new
    /// information.
    Investigate,
    /// Book, attend and record the result of a CSI examination; cancel a request.
    AttendScenes,
    /// The supervisor's decisions on an investigation: approve filing a crime whose victim is
    /// vulnerable or a repeat victim, and the quality check before a crime is finalised.
    SuperviseInvestigation,
    /// Draft and send safeguarding referrals to partner agencies, and record the agency's
    /// acknowledgement, refusal and outcome (issue 17).
    Refer,
    /// Record that a referral the rules require is not to be made, with why: it settles the
    /// closure rule, so it is a supervisor's decision.
    DecideReferralNotMade,
    /// Set tasks for a team or officer, work the tasks set to you, and send messages.
    SetTasks,
    /// Act on any team's tasks (acknowledge, complete, cancel) and see the escalated views.
    SuperviseTasks,
}

impl Permission {
    pub const ALL: [Permission; 27] = [
        Permission::TakeContact,
        Permission::ViewIncidents,
        Permission::WriteIncidentLog,
        Permission::GradeIncident,
        Permission::CloseIncident,
        Permission::ReopenIncident,
        Permission::ManageUsers,
        Permission::VerifyAuditTrail,
        Permission::ManageResources,
        Permission::DispatchUnits,
        Permission::RecordCrime,
        Permission::ApproveCrimeCancellation,
        Permission::ReviewCrimeRecording,
        Permission::ApproveUnattendedClosure,
        Permission::RecordIntelligence,
        Permission::ManageMarkers,
        Permission::MergeRecords,
        Permission::ManageGazetteer,
        Permission::RebuildSearchIndex,
        Permission::ScreenCrime,
        Permission::Investigate,
        Permission::AttendScenes,
        Permission::SuperviseInvestigation,
        Permission::Refer,
        Permission::DecideReferralNotMade,
        Permission::SetTasks,
        Permission::SuperviseTasks,
    ];

    /// The permission's name in snake case (`take_contact`), as the API lists it.
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

impl Role {
    pub const ALL: [Role; 9] = [
        Role::ContactHandler,
        Role::Dispatcher,
        Role::CrimeRecorder,
        Role::CrimeRegistrar,
        Role::Supervisor,
        Role::Auditor,
        Role::Admin,
        Role::Investigator,
        Role::Csi,
    ];

    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// The role's name as a person reads it: "crime recorder".
    pub fn label(self) -> &'static str {
        match self {
            Role::ContactHandler => "contact handler",
            Role::Dispatcher => "dispatcher",
            Role::CrimeRecorder => "crime recorder",
            Role::CrimeRegistrar => "crime registrar",
            Role::Supervisor => "supervisor",
            Role::Auditor => "auditor",
            Role::Admin => "administrator",
            Role::Investigator => "investigator",
            Role::Csi => "crime scene investigator",
        }
    }

    /// The roles that have `permission`, in the order of [`Role::ALL`].
    pub fn allowed(permission: Permission) -> Vec<Role> {
        Self::ALL
            .into_iter()
            .filter(|r| r.may(permission))
            .collect()
    }

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        Self::ALL.into_iter().find(|r| r.as_str() == raw.trim()).ok_or_else(|| {
            Invalid::new(
                "role",
                format!(
                    "'{raw}' is not a role; use one of contact_handler, dispatcher, crime_recorder, crime_registrar, supervisor, auditor, admin, investigator, csi"
                ),
            )
        })
    }

    /// The permission table. Least privilege: the system administrator manages accounts but
    /// has no operational reason to read incidents (DPA 2018 s.40 purpose limitation), and the
    /// auditor reads but changes nothing.
    pub fn may(self, permission: Permission) -> bool {
        use Permission::*;
        use Role::*;
        match permission {
            TakeContact => matches!(self, ContactHandler | Supervisor),
            ViewIncidents => !matches!(self, Admin),
            WriteIncidentLog => matches!(
                self,
                ContactHandler | Dispatcher | CrimeRecorder | CrimeRegistrar | Supervisor
            ),
            GradeIncident | CloseIncident | ReopenIncident => {
                matches!(self, ContactHandler | Dispatcher | Supervisor)
            }
            ManageUsers => matches!(self, Admin),
            VerifyAuditTrail => matches!(self, Auditor | Admin | Supervisor),
            ManageResources => matches!(self, Dispatcher | Supervisor | Admin),
            DispatchUnits => matches!(self, Dispatcher | Supervisor | ContactHandler),
            RecordCrime => matches!(self, CrimeRecorder | CrimeRegistrar | Supervisor),
            // Separation of duties: the recorder who asks for a crime to be removed cannot
            // approve it; only the registrar can (HOCR Section C).
            ApproveCrimeCancellation => matches!(self, CrimeRegistrar),
            ReviewCrimeRecording => {
                matches!(self, CrimeRecorder | CrimeRegistrar | Supervisor | Auditor)
            }
            ApproveUnattendedClosure => matches!(self, Supervisor),
            // Those who take and handle the contacts and crimes record who and what was
            // involved; the auditor reads but changes nothing.
            RecordIntelligence => matches!(
                self,
                ContactHandler
                    | Dispatcher
                    | CrimeRecorder
                    | CrimeRegistrar
                    | Supervisor
                    | Investigator
            ),
            // A marker puts officers on guard: the handler who hears it, or a supervisor.
            ManageMarkers => matches!(self, ContactHandler | Supervisor),
            // Merging people joins two histories: a supervisor's decision.
            MergeRecords => matches!(self, Supervisor),
            // Reference data, not personal data: the administrator who runs the import and the
            // supervisor who answers for the room's map.
            ManageGazetteer => matches!(self, Admin | Supervisor),
            // Running the servers is the administrator's job; a rebuild shows no one anything.
            RebuildSearchIndex => matches!(self, Admin),
            // The recorder acts as the initial investigating officer (issue 15): screening
            // and the fast-track enquiries are theirs as much as the investigator's.
            ScreenCrime | Investigate => {
                matches!(self, CrimeRecorder | Investigator | Supervisor)
            }
            AttendScenes => matches!(self, Csi | Supervisor),
            // Separation of duties: filing a vulnerable or repeat victim's crime and finalising
            // any crime are checked by someone above the investigator.
            SuperviseInvestigation => matches!(self, Supervisor),
            // Whoever hears the risk refers it (Working Together to Safeguard Children 2023:
            // anyone with a concern refers); not the administrator, auditor or CSI.
            Refer => matches!(
                self,
                ContactHandler | Dispatcher | CrimeRecorder | Supervisor | Investigator
            ),
            // A required referral left unmade is a supervisor's decision, with its reason.
            DecideReferralNotMade | SuperviseTasks => matches!(self, Supervisor),
            SetTasks => !matches!(self, Admin | Auditor),
        }
    }
}

/// The roles one user holds: at least one, each once, in the order of [`Role::ALL`]. What
/// the user may do is the union of what each role may do.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "Vec<Role>", into = "Vec<Role>")]
pub struct Roles(Vec<Role>);

impl Roles {
    pub fn one(role: Role) -> Self {
        Self(vec![role])
    }

    /// Roles from their names: each entry may itself be a comma-separated list
    /// (`["contact_handler,crime_recorder"]` or `["contact_handler", "crime_recorder"]`).
    /// A role named twice counts once; none at all is refused.
    pub fn parse<S: AsRef<str>>(raw: &[S]) -> Result<Self, Invalid> {
        let mut roles = Vec::new();
        for entry in raw {
            for name in entry.as_ref().split(',') {
                if name.trim().is_empty() {
                    continue;
                }
                roles.push(Role::parse(name)?);
            }
        }
        Self::try_from(roles)
    }

    pub fn iter(&self) -> impl Iterator<Item = Role> + '_ {
        self.0.iter().copied()
    }

    pub fn contains(&self, role: Role) -> bool {
        self.0.contains(&role)
    }

    /// The first of these roles that has `permission`: the role a change is made under.
    pub fn granting(&self, permission: Permission) -> Option<Role> {
        self.iter().find(|r| r.may(permission))
    }

    pub fn may(&self, permission: Permission) -> bool {
        self.granting(permission).is_some()
    }

    /// Every permission any of these roles has, in the order of [`Permission::ALL`].
    pub fn permissions(&self) -> Vec<Permission> {
        Permission::ALL
            .into_iter()
            .filter(|p| self.may(*p))
            .collect()
    }

    /// The first role (in the order of [`Role::ALL`]).
    pub fn first(&self) -> Role {
        // Never empty: every constructor refuses an empty list.
        self.0.first().copied().unwrap_or(Role::ContactHandler)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// "contact handler and crime recorder".
    pub fn label(&self) -> String {
        list_in_words(self.iter().map(Role::label))
    }
}

/// "a", "a and b", "a, b and c".
pub fn list_in_words<'a>(words: impl IntoIterator<Item = &'a str>) -> String {
    let words: Vec<&str> = words.into_iter().collect();
    match words.split_last() {
        None => String::new(),
        Some((last, [])) => (*last).to_owned(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
    }
}

impl TryFrom<Vec<Role>> for Roles {
    type Error = Invalid;
    fn try_from(mut roles: Vec<Role>) -> Result<Self, Invalid> {
        if roles.is_empty() {
            return Err(Invalid::new(
                "roles",
                "give at least one role: contact_handler, dispatcher, crime_recorder, crime_registrar, supervisor, auditor, admin, investigator or csi",
            ));
        }
        roles.sort_by_key(|r| Role::ALL.iter().position(|a| a == r));
        roles.dedup();
        Ok(Self(roles))
    }
}

impl From<Roles> for Vec<Role> {
    fn from(roles: Roles) -> Self {
        roles.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permissions_are_named_once_each_and_a_user_holds_the_union() {
        let names: std::collections::HashSet<&str> =
            Permission::ALL.iter().map(|p| p.as_str()).collect();
        assert_eq!(names.len(), Permission::ALL.len());
        assert_eq!(Permission::TakeContact.as_str(), "take_contact");
        let operator = Roles::parse(&["contact_handler,crime_recorder"]).unwrap();
        let held = operator.permissions();
        assert!(held.contains(&Permission::TakeContact));
        assert!(held.contains(&Permission::RecordCrime));
        assert!(!held.contains(&Permission::ManageUsers));
    }

    #[test]
    fn several_roles_grant_the_union_and_name_the_role_used() {
        let operator =
            Roles::parse(&["crime_recorder, contact_handler", "crime_recorder"]).unwrap();
        assert_eq!(
            operator.iter().collect::<Vec<_>>(),
            [Role::ContactHandler, Role::CrimeRecorder]
        );
        assert_eq!(
            operator.granting(Permission::TakeContact),
            Some(Role::ContactHandler)
        );
        assert_eq!(
            operator.granting(Permission::RecordCrime),
            Some(Role::CrimeRecorder)
        );
        assert_eq!(operator.granting(Permission::ManageUsers), None);
        assert_eq!(operator.label(), "contact handler and crime recorder");
        assert!(Roles::parse::<&str>(&[]).is_err());
        assert!(Roles::parse(&[" , "]).is_err());
        assert!(Roles::parse(&["contact_handler,chief_constable"]).is_err());
        let json = serde_json::to_string(&operator).unwrap();
        assert_eq!(json, r#"["contact_handler","crime_recorder"]"#);
        assert!(serde_json::from_str::<Roles>("[]").is_err());
    }

    #[test]
    fn the_roles_allowed_a_permission_read_as_a_list() {
        assert_eq!(
            list_in_words(
                Role::allowed(Permission::DispatchUnits)
                    .into_iter()
                    .map(Role::label)
            ),
            "contact handler, dispatcher and supervisor"
        );
    }

    #[test]
    fn roles_round_trip_through_their_names() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()).unwrap(), role);
        }
        assert!(Role::parse("chief_constable").is_err());
    }

    #[test]
    fn least_privilege_holds() {
        assert!(Role::ContactHandler.may(Permission::TakeContact));
        assert!(!Role::ContactHandler.may(Permission::ManageUsers));
        assert!(!Role::Admin.may(Permission::ViewIncidents));
        assert!(!Role::Auditor.may(Permission::GradeIncident));
        assert!(Role::Auditor.may(Permission::ViewIncidents));
        assert!(Role::Auditor.may(Permission::VerifyAuditTrail));
        assert!(!Role::CrimeRecorder.may(Permission::CloseIncident));
        assert!(Role::CrimeRecorder.may(Permission::RecordCrime));
        assert!(!Role::CrimeRecorder.may(Permission::ApproveCrimeCancellation));
        assert!(!Role::Supervisor.may(Permission::ApproveCrimeCancellation));
        assert!(Role::CrimeRegistrar.may(Permission::ApproveCrimeCancellation));
        assert!(!Role::ContactHandler.may(Permission::RecordCrime));
        assert!(Role::Supervisor.may(Permission::ApproveUnattendedClosure));
        assert!(!Role::ContactHandler.may(Permission::ApproveUnattendedClosure));
        assert!(!Role::Dispatcher.may(Permission::ApproveUnattendedClosure));
        assert!(Role::Investigator.may(Permission::Investigate));
        assert!(Role::Investigator.may(Permission::ScreenCrime));
        assert!(!Role::Investigator.may(Permission::SuperviseInvestigation));
        assert!(!Role::Investigator.may(Permission::AttendScenes));
        assert!(Role::Csi.may(Permission::AttendScenes));
        assert!(!Role::Csi.may(Permission::Investigate));
        assert!(Role::Supervisor.may(Permission::SuperviseInvestigation));
        assert!(!Role::Auditor.may(Permission::Investigate));
        assert!(!Role::Csi.may(Permission::ManageUsers));
    }
}
