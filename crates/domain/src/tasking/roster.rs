//! Team membership, the roster (issue 17): who is in each team or department of the
//! directory (`teams.psv`), so a task or message to a team reaches its members' consoles and
//! a member may acknowledge and complete the team's tasks. Each team's members are a stream of
//! their own, `team/{CODE}`: added and removed by a supervisor or an administrator, audited as
//! every change is, and read back by folding it (a force has tens of teams, each a short
//! stream).

use super::{Refusal, refuse_field};
use crate::aggregate::{Aggregate, FoldError, Folding};
use crate::reference::ReferenceData;
use crate::roles::{Permission, Roles};
use crate::stream::{StreamId, StreamKind};
use crate::text::Code;
use crate::user::Username;
use serde::{Deserialize, Serialize};

/// What happened to a team's membership. Stored names are never renamed (pinned in
/// `aggregate.rs`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, strum::IntoStaticStr)]
#[cfg_attr(test, derive(strum::VariantNames))]
#[serde(tag = "type", rename_all = "snake_case")]
#[strum(serialize_all = "snake_case", prefix = "team.")]
pub enum RosterEvent {
    MemberAdded { user: Username },
    MemberRemoved { user: Username },
}

/// A team's members, folded from its stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Roster {
    pub team: Code,
    /// In the order they joined.
    pub members: Vec<Username>,
}

impl Roster {
    pub fn has(&self, user: &Username) -> bool {
        self.members.contains(user)
    }
}

/// Something a supervisor asks of a team's roster. Read from JSON as
/// `{"action": "add_member", "user": "pc_jones"}`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum RosterCommand {
    AddMember { user: Username },
    RemoveMember { user: Username },
}

/// Who may change a roster: a supervisor of tasks, or an administrator (who keeps users).
pub fn may_change(roles: &Roles) -> bool {
    roles.may(Permission::SuperviseTasks) || roles.may(Permission::ManageUsers)
}

/// Check a roster change. `user_exists` says whether the user named is an account here (the
/// application's check, made before deciding).
pub fn decide(
    team: &Code,
    state: Option<&Roster>,
    command: RosterCommand,
    roles: &Roles,
    reference: &ReferenceData,
    user_exists: bool,
) -> Result<Vec<RosterEvent>, Refusal> {
    if !may_change(roles) {
        return Err(refuse_field(
            "team.supervisor",
            "team",
            "only a supervisor or an administrator changes who is in a team",
        ));
    }
    if reference.team(team.as_str()).is_none() {
        return Err(refuse_field(
            "task.team_known",
            "team",
            format!("{team} is not a team or department in the directory (teams.psv)"),
        ));
    }
    let member = |user: &Username| state.is_some_and(|r| r.has(user));
    match command {
        RosterCommand::AddMember { user } => {
            if !user_exists {
                return Err(refuse_field(
                    "team.user_known",
                    "user",
                    format!("there is no user {user}: add the account first"),
                ));
            }
            if member(&user) {
                return Err(refuse_field(
                    "team.already_member",
                    "user",
                    format!("{user} is already in {team}"),
                ));
            }
            Ok(vec![RosterEvent::MemberAdded { user }])
        }
        RosterCommand::RemoveMember { user } => {
            if !member(&user) {
                return Err(refuse_field(
                    "team.member",
                    "user",
                    format!("{user} is not in {team}"),
                ));
            }
            Ok(vec![RosterEvent::MemberRemoved { user }])
        }
    }
}

impl Aggregate for Roster {
    type Id = Code;
    type Event = RosterEvent;

    fn stream(team: &Code) -> StreamId {
        StreamId::new(StreamKind::Team, team)
    }

    fn apply(state: Option<Self>, e: Folding<'_, Self>) -> Result<Self, FoldError> {
        let mut roster = state.unwrap_or_else(|| Roster {
            team: e.id.clone(),
            members: Vec::new(),
        });
        match e.event() {
            RosterEvent::MemberAdded { user } => {
                if roster.has(user) {
                    return Err(e.misfit(format!("{user} is already a member")));
                }
                roster.members.push(user.clone());
            }
            RosterEvent::MemberRemoved { user } => {
                if !roster.has(user) {
                    return Err(e.misfit(format!("{user} is not a member")));
                }
                roster.members.retain(|m| m != user);
            }
        }
        Ok(roster)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aggregate::Stamped;
    use crate::reference::shipped_files;
    use crate::roles::Role;

    fn name(raw: &str) -> Username {
        Username::parse(raw).unwrap()
    }

    #[test]
    fn a_supervisor_adds_and_removes_members_of_a_team_in_the_directory() {
        let reference = ReferenceData::load(&shipped_files()).unwrap();
        let team = Code::parse("team", "NPT_LS8").unwrap();
        let sergeant = Roles::one(Role::Supervisor);
        let add = |user: &str| RosterCommand::AddMember { user: name(user) };
        let events = decide(&team, None, add("pc_jones"), &sergeant, &reference, true).unwrap();
        let stamped: Vec<Stamped<RosterEvent>> = events
            .into_iter()
            .map(|event| Stamped {
                at: jiff::Timestamp::UNIX_EPOCH,
                by: name("sergeant"),
                event,
            })
            .collect();
        let roster = Roster::replay(&team, &stamped).unwrap().unwrap();
        assert!(roster.has(&name("pc_jones")));
        let refused = |r: Result<Vec<RosterEvent>, Refusal>| r.unwrap_err().rule;
        let state = Some(&roster);
        assert_eq!(
            refused(decide(
                &team,
                state,
                add("pc_jones"),
                &sergeant,
                &reference,
                true
            )),
            "team.already_member"
        );
        assert_eq!(
            refused(decide(
                &team,
                state,
                add("nobody"),
                &sergeant,
                &reference,
                false
            )),
            "team.user_known"
        );
        let handler = Roles::one(Role::ContactHandler);
        assert_eq!(
            refused(decide(
                &team,
                state,
                add("pc_smith"),
                &handler,
                &reference,
                true
            )),
            "team.supervisor"
        );
        let mars = Code::parse("team", "NPT_MARS").unwrap();
        assert_eq!(
            refused(decide(
                &mars,
                None,
                add("pc_smith"),
                &sergeant,
                &reference,
                true
            )),
            "task.team_known"
        );
        let remove = |user: &str| RosterCommand::RemoveMember { user: name(user) };
        assert_eq!(
            refused(decide(
                &team,
                state,
                remove("pc_smith"),
                &sergeant,
                &reference,
                true
            )),
            "team.member"
        );
        assert_eq!(
            decide(
                &team,
                state,
                remove("pc_jones"),
                &sergeant,
                &reference,
                true
            )
            .unwrap(),
            [RosterEvent::MemberRemoved {
                user: name("pc_jones")
            }]
        );
    }
}
