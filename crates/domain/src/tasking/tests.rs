use super::messages::{
    Message, MessageCommand, MessageContext, MessageError, MessageEvent, MessageId, Recipient,
    inbox,
};
use super::*;
use crate::reference::shipped_files;
use crate::roles::Role;
use proptest::prelude::*;

fn reference() -> ReferenceData {
    ReferenceData::load(&shipped_files()).unwrap()
}

fn at(minute: i64) -> Timestamp {
    Timestamp::from_second(1_795_400_000 + minute * 60).unwrap()
}

fn code(raw: &str) -> Code {
    Code::parse("code", raw).unwrap()
}

fn user(name: &str) -> Username {
    Username::parse(name).unwrap()
}

fn task_id(n: u128) -> TaskId {
    TaskId {
        belongs_to: BelongsTo::Incident(IncidentId(Uuid::from_u128(1))),
        id: Uuid::from_u128(n),
    }
}

fn to_team(team: &str) -> Assignee {
    Assignee {
        team: code(team),
        officer: None,
    }
}

fn set(priority: Priority, due_minute: Option<i64>) -> TaskCommand {
    TaskCommand::Set {
        kind: TaskKind::Visit,
        to: to_team("NPT_LS8"),
        priority,
        due: due_minute.map(at),
        details: "visit the victim about the damage".into(),
    }
}

/// Decide and fold each `(minute, who, role, command)` on task `id`; the first refusal ends it.
fn drive(id: TaskId, steps: Vec<(i64, &str, Role, TaskCommand)>) -> Result<TaskState, TaskError> {
    let reference = reference();
    let mut state: Option<TaskState> = None;
    let member_of = [code("NPT_LS8")];
    for (minute, who, role, command) in steps {
        let who = user(who);
        let roles = Roles::one(role);
        let c = TaskContext {
            task: &id,
            who: &who,
            roles: &roles,
            member_of: &member_of,
            now: at(minute),
            reference: &reference,
        };
        for event in decide(state.as_ref(), command, c)? {
            let stamped = Stamped {
                at: at(minute),
                by: who.clone(),
                event,
            };
            state = Some(TaskState::step(state, &id, &stamped).unwrap());
        }
    }
    state.ok_or_else(|| refuse("test", "none", "no events"))
}

#[test]
fn a_task_is_set_acknowledged_and_completed_with_a_result() {
    let task = drive(
        task_id(1),
        vec![
            (
                0,
                "handler",
                Role::ContactHandler,
                set(Priority::Normal, Some(120)),
            ),
            (
                10,
                "pc.jones",
                Role::Dispatcher,
                TaskCommand::Acknowledge { note: None },
            ),
            (
                90,
                "pc.jones",
                Role::Dispatcher,
                TaskCommand::Complete {
                    result: "visited, statement taken".into(),
                },
            ),
        ],
    )
    .unwrap();
    assert_eq!(task.status.as_str(), "completed");
    assert!(
        !task.overdue(at(10_000)),
        "a completed task is never overdue"
    );
}

#[test]
fn without_a_due_time_the_policy_sets_it_by_priority() {
    // task-escalation.psv: normal work is due in 24 hours.
    let task = drive(
        task_id(2),
        vec![(
            0,
            "handler",
            Role::ContactHandler,
            set(Priority::Normal, None),
        )],
    )
    .unwrap();
    assert_eq!(task.due, at(24 * 60));
}

/// A task goes to a team of the force's directory (teams.psv); any other is refused on
/// `to.team`, naming the teams there are, and a reassignment is held to the same.
#[test]
fn a_task_goes_to_a_team_in_the_directory() {
    let elsewhere = TaskCommand::Set {
        kind: TaskKind::Visit,
        to: to_team("NPT_MARS"),
        priority: Priority::Normal,
        due: None,
        details: "visit".into(),
    };
    let Err(TaskError::Refused(refusal)) = drive(
        task_id(3),
        vec![(0, "handler", Role::ContactHandler, elsewhere)],
    ) else {
        panic!("an unknown team is refused");
    };
    assert_eq!(
        (refusal.rule, refusal.field.as_str()),
        ("task.team_known", "to.team")
    );
    assert!(refusal.message.contains("NPT_LS8"), "{}", refusal.message);
    let reassigned = drive(
        task_id(4),
        vec![
            (
                0,
                "handler",
                Role::ContactHandler,
                set(Priority::Normal, None),
            ),
            (
                1,
                "sergeant",
                Role::Supervisor,
                TaskCommand::Reassign {
                    to: to_team("NOWHERE"),
                    due: at(120),
                    reason: "wrong team".into(),
                },
            ),
        ],
    );
    assert!(
        matches!(reassigned, Err(TaskError::Refused(ref r)) if r.rule == "task.team_known"),
        "{reassigned:?}"
    );
}

#[test]
fn refusals_name_the_rule_and_change_nothing() {
    let refused = |steps| match drive(task_id(3), steps) {
        Err(TaskError::Refused(r)) => r.rule,
        other => panic!("expected a refusal, got {other:?}"),
    };
    let first = (
        0,
        "handler",
        Role::ContactHandler,
        set(Priority::High, Some(60)),
    );
    assert_eq!(
        refused(vec![(
            5,
            "handler",
            Role::ContactHandler,
            set(Priority::High, Some(1))
        )]),
        "task.due_future"
    );
    assert_eq!(
        refused(vec![(
            0,
            "handler",
            Role::ContactHandler,
            TaskCommand::Complete { result: "x".into() }
        )]),
        "task.known"
    );
    // A task named for one officer is completed by them (or a supervisor), not a colleague.
    let named = TaskCommand::Set {
        kind: TaskKind::CallBack,
        to: Assignee {
            team: code("NPT_LS8"),
            officer: Some(user("pc.jones")),
        },
        priority: Priority::High,
        due: Some(at(60)),
        details: "ring the victim back".into(),
    };
    assert_eq!(
        refused(vec![
            (0, "handler", Role::ContactHandler, named),
            (
                5,
                "pc.smith",
                Role::Dispatcher,
                TaskCommand::Complete {
                    result: "done".into()
                }
            ),
        ]),
        "task.assignee"
    );
    assert_eq!(
        refused(vec![
            first.clone(),
            (
                5,
                "pc.jones",
                Role::Dispatcher,
                TaskCommand::Cancel {
                    reason: "not needed".into()
                }
            ),
        ]),
        "task.cancel_by"
    );
    assert_eq!(
        refused(vec![
            first.clone(),
            (
                5,
                "handler",
                Role::ContactHandler,
                TaskCommand::Cancel {
                    reason: "caller rang back".into()
                }
            ),
            (
                6,
                "pc.jones",
                Role::Dispatcher,
                TaskCommand::Acknowledge { note: None }
            ),
        ]),
        "task.open"
    );
    let admin = drive(
        task_id(3),
        vec![(0, "root", Role::Admin, set(Priority::Low, None))],
    );
    assert_eq!(
        admin.unwrap_err(),
        TaskError::NotPermitted(Permission::SetTasks)
    );
}

fn task(priority: Priority, set_minute: i64, due_minute: i64, n: u128) -> TaskState {
    drive(
        task_id(n),
        vec![(
            set_minute,
            "handler",
            Role::ContactHandler,
            set(priority, Some(due_minute)),
        )],
    )
    .unwrap()
}

// Escalation intervals are policy data (task-escalation.psv): normal work reaches the
// supervisor 60 minutes after it is due and the duty inspector 720 minutes after that.
#[test]
fn an_overdue_task_escalates_to_the_supervisor_then_the_duty_inspector() {
    let policy = reference().tasking;
    let t = task(Priority::Normal, 0, 100, 1);
    let level = |minute| t.escalation(at(minute), &policy).level;
    assert_eq!(level(100), EscalationLevel::None, "due, not yet late");
    assert_eq!(level(101), EscalationLevel::Overdue);
    assert_eq!(level(159), EscalationLevel::Overdue);
    assert_eq!(level(160), EscalationLevel::Supervisor);
    assert_eq!(level(160 + 719), EscalationLevel::Supervisor);
    assert_eq!(level(160 + 720), EscalationLevel::DutyInspector);
    // Urgent work is on the supervisor's view as soon as it is late.
    let urgent = task(Priority::Urgent, 0, 30, 2);
    assert_eq!(
        urgent.escalation(at(31), &policy).level,
        EscalationLevel::Supervisor
    );
    let tasks = [t.clone(), urgent.clone()];
    let supervisor = escalated(&tasks, at(161), &policy, EscalationLevel::Supervisor, None);
    assert_eq!(supervisor.len(), 2);
    // Urgent work reaches the duty inspector 60 minutes after the supervisor (at 90).
    let inspector = escalated(
        &tasks,
        at(161),
        &policy,
        EscalationLevel::DutyInspector,
        None,
    );
    assert_eq!(inspector.len(), 1);
    assert_eq!(inspector[0].task.priority, Priority::Urgent);
    assert!(
        escalated(
            &tasks,
            at(89),
            &policy,
            EscalationLevel::DutyInspector,
            None
        )
        .is_empty()
    );
    let other_team = [code("CID")];
    assert!(
        escalated(
            &tasks,
            at(161),
            &policy,
            EscalationLevel::Supervisor,
            Some(&other_team)
        )
        .is_empty()
    );
}

#[test]
fn a_team_queue_is_ordered_by_priority_then_due() {
    let tasks = [
        task(Priority::Low, 0, 50, 1),
        task(Priority::Normal, 0, 300, 2),
        task(Priority::Urgent, 0, 400, 3),
        task(Priority::Normal, 0, 200, 4),
    ];
    let queue = team_queue(&tasks, &code("NPT_LS8"), at(100));
    let order: Vec<u128> = queue.iter().map(|q| q.task.id.id.as_u128()).collect();
    assert_eq!(order, [3, 4, 2, 1]);
    assert!(queue[3].overdue, "the low task due at 50 is late at 100");
    assert!(team_queue(&tasks, &code("CID"), at(100)).is_empty());
}

#[test]
fn promised_call_backs_that_are_late_list_their_incident() {
    let call_back = |n, due| {
        drive(
            task_id(n),
            vec![(
                0,
                "handler",
                Role::ContactHandler,
                TaskCommand::promise_call_back(to_team("NPT_LS8"), at(due), "ring back tonight"),
            )],
        )
        .unwrap()
    };
    let tasks = [
        call_back(1, 60),
        call_back(2, 30),
        task(Priority::Normal, 0, 10, 3),
    ];
    let late = overdue_call_backs(&tasks, at(45));
    assert_eq!(late.len(), 1);
    assert_eq!(late[0].incident, IncidentId(Uuid::from_u128(1)));
    assert_eq!(late[0].due, at(30));
    let later = overdue_call_backs(&tasks, at(61));
    assert_eq!(
        later[0].call_backs.len(),
        2,
        "one incident, two missed call-backs"
    );
    assert!(overdue_call_backs(&tasks, at(20)).is_empty());
}

#[test]
fn task_commands_read_from_json() {
    let command: TaskCommand = serde_json::from_str(
        r#"{"action":"set","kind":"obtain_cctv","to":{"team":"npt_ls8","officer":"pc.jones"},"priority":"urgent","details":"shop CCTV, overwritten in 7 days"}"#,
    )
    .unwrap();
    assert!(matches!(
        command,
        TaskCommand::Set {
            kind: TaskKind::ObtainCctv,
            ..
        }
    ));
    assert!(
        serde_json::from_str::<TaskCommand>(r#"{"action":"complete","result":"x","extra":1}"#)
            .is_err()
    );
    let id = task_id(9);
    assert_eq!(TaskId::from_stream_key(id.stream().key()).unwrap(), id);
}

fn message(to: Recipient, n: u128) -> (MessageId, Message) {
    let id = MessageId {
        to,
        id: Uuid::from_u128(n),
    };
    let from = user("handler");
    let roles = Roles::one(Role::ContactHandler);
    let c = MessageContext {
        message: &id,
        who: &from,
        roles: &roles,
        member_of: &[],
    };
    let events = messages::decide(
        None,
        MessageCommand::Send {
            text: "caller asks for PC Jones".into(),
            about: None,
        },
        c,
    )
    .unwrap();
    let message = fold_message(&id, None, &from, events, 0);
    (id, message)
}

fn fold_message(
    id: &MessageId,
    mut state: Option<Message>,
    by: &Username,
    events: Vec<MessageEvent>,
    minute: i64,
) -> Message {
    for (index, event) in events.into_iter().enumerate() {
        let stamped = Stamped {
            at: at(minute),
            by: by.clone(),
            event,
        };
        state = Some(
            <Message as Aggregate>::apply(
                state,
                Folding {
                    id,
                    stamped: &stamped,
                    index,
                },
            )
            .unwrap(),
        );
    }
    state.unwrap()
}

#[test]
fn a_message_is_read_by_its_recipient_once_and_by_no_one_else() {
    let (id, sent) = message(Recipient::Person(user("pc.jones")), 1);
    let roles = Roles::one(Role::Dispatcher);
    let jones = user("pc.jones");
    let smith = user("pc.smith");
    let ctx = |who| MessageContext {
        message: &id,
        who,
        roles: &roles,
        member_of: &[],
    };
    let read = messages::decide(Some(&sent), MessageCommand::MarkRead, ctx(&jones)).unwrap();
    let read = fold_message(&id, Some(sent.clone()), &jones, read, 5);
    assert_eq!(read.read_at(), Some(at(5)));
    assert!(
        messages::decide(Some(&read), MessageCommand::MarkRead, ctx(&jones))
            .unwrap()
            .is_empty(),
        "reading again records nothing"
    );
    assert!(matches!(
        messages::decide(Some(&sent), MessageCommand::MarkRead, ctx(&smith)),
        Err(MessageError::Refused(r)) if r.rule == "message.recipient"
    ));
    let (_, to_team) = message(Recipient::Team(code("NPT_LS8")), 2);
    let all = [read, to_team];
    let box_of_jones = inbox(&all, &jones, &[code("NPT_LS8")]);
    assert_eq!(box_of_jones.len(), 2);
    assert_eq!(box_of_jones[0].id.id, Uuid::from_u128(2), "unread first");
    assert!(inbox(&all, &smith, &[]).is_empty());
    assert_eq!(MessageId::from_stream_key(id.stream().key()).unwrap(), id);
}

proptest! {
    /// Escalation never goes back as time passes, and is never above "none" before the due time.
    #[test]
    fn escalation_only_rises(due in 1i64..2000, a in 0i64..5000, b in 0i64..5000, p in 0usize..4) {
        let policy = reference().tasking;
        let t = task(Priority::ALL[p], 0, due, 1);
        let (early, late) = (a.min(b), a.max(b));
        prop_assert!(t.escalation(at(early), &policy).level <= t.escalation(at(late), &policy).level);
        if early <= due {
            prop_assert_eq!(t.escalation(at(early), &policy).level, EscalationLevel::None);
        }
    }
}
