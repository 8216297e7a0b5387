//! Roles and what each may do. Enforced in the use cases (crate `app`), not only at the HTTP
//! edge, so every door into the system applies the same rules.

use crate::text::Invalid;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
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
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
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
    /// Load the force's gazetteer (addresses, streets, named places, postcode centroids).
    ManageGazetteer,
}

impl Role {
    pub const ALL: [Role; 7] = [
        Role::ContactHandler,
        Role::Dispatcher,
        Role::CrimeRecorder,
        Role::CrimeRegistrar,
        Role::Supervisor,
        Role::Auditor,
        Role::Admin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::ContactHandler => "contact_handler",
            Role::Dispatcher => "dispatcher",
            Role::CrimeRecorder => "crime_recorder",
            Role::CrimeRegistrar => "crime_registrar",
            Role::Supervisor => "supervisor",
            Role::Auditor => "auditor",
            Role::Admin => "admin",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        Self::ALL.into_iter().find(|r| r.as_str() == raw.trim()).ok_or_else(|| {
            Invalid::new(
                "role",
                format!(
                    "'{raw}' is not a role; use one of contact_handler, dispatcher, crime_recorder, crime_registrar, supervisor, auditor, admin"
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
            // Reference data, not personal data: the administrator who runs the import and the
            // supervisor who answers for the room's map.
            ManageGazetteer => matches!(self, Admin | Supervisor),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    }
}
