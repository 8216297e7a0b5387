use super::*;
use crate::assessment::{Answer, DashAnswers, Subject};
use crate::closure::{CloseRequest, check_with_referrals};
use crate::incident::tests::{at, open_as, run};
use crate::incident::{ClosureDetails, IncidentCommand, IncidentId};
use crate::reference::{ReferenceData, SourceFile, shipped_files};
use crate::roles::Role;
use proptest::prelude::*;

fn reference() -> ReferenceData {
    ReferenceData::load(&shipped_files()).unwrap()
}

fn code(raw: &str) -> Code {
    Code::parse("code", raw).unwrap()
}

fn user(name: &str) -> Username {
    Username::parse(name).unwrap()
}

fn dash(yes: usize, judgement: Option<DashRisk>, children_present: bool) -> IncidentCommand {
    let assessed = DashAnswers {
        // "Yes" to the first `yes` questions that are not about children (10, 26 and 27 are:
        // force-settings dash_children_questions), so children are a separate fact here.
        answers: {
            let mut answers = vec![Answer::No; 27];
            for i in (0..27).filter(|i| ![9, 25, 26].contains(i)).take(yes) {
                answers[i] = Answer::Yes;
            }
            answers
        },
        professional_judgement: judgement,
        incidents_last_12_months: 0,
        children_present,
    }
    .assess(27, &reference().policy.dash)
    .unwrap();
    IncidentCommand::CompleteDash(assessed)
}

fn classify(qualifiers: &[&str]) -> IncidentCommand {
    IncidentCommand::Classify {
        incident_type: None,
        qualifiers: qualifiers.iter().map(|q| code(q)).collect(),
    }
}

fn flagged(flags: Vec<VulnerabilityFlag>) -> IncidentCommand {
    IncidentCommand::RecordVulnerability {
        subject: Subject::Victim,
        flags,
        note: None,
    }
}

/// The referral types an incident after `commands` requires.
fn required(commands: Vec<IncidentCommand>) -> Vec<String> {
    let mut all = vec![open_as(Some("CONCERN_FOR_SAFETY"))];
    all.extend(commands);
    let incident = run(all).unwrap();
    let reference = reference();
    required_referrals(&IncidentFacts::of(&incident, &[]), &reference.safeguarding)
        .into_iter()
        .map(|r| r.referral_type.to_string())
        .collect()
}

// The referral rules, row by row, each with the guidance it comes from
// (reference/referral-rules.psv cites the same).
#[test]
fn the_referral_rules_require_what_the_guidance_says() {
    let cases: Vec<(&str, Vec<IncidentCommand>, &[&str])> = vec![
        (
            "SafeLives MARAC criteria: 14 or more DASH ticks is high risk: MARAC (and an IDVA)",
            vec![dash(14, None, false)],
            &["MARAC", "IDVA"],
        ),
        (
            "SafeLives: professional judgement makes a low count high risk: MARAC",
            vec![dash(3, Some(DashRisk::High), false)],
            &["MARAC", "IDVA"],
        ),
        (
            "SafeLives: 13 ticks with no judgement is not high: no MARAC",
            vec![dash(13, None, false)],
            &[],
        ),
        (
            "Working Together 2023; Domestic Abuse Act 2021 s.3: children present at domestic abuse: children's social care",
            vec![classify(&["DOMESTIC_ABUSE", "CHILDREN_PRESENT"])],
            &["CHILDRENS_SOCIAL_CARE"],
        ),
        (
            "Working Together 2023: children present at a DASH (children_present) refers: children's social care",
            vec![dash(2, None, true)],
            &["CHILDRENS_SOCIAL_CARE"],
        ),
        (
            "Working Together 2023: children present, no domestic abuse identified: no rule applies",
            vec![classify(&["CHILDREN_PRESENT"])],
            &[],
        ),
        (
            "Working Together 2023: a child at risk of harm: children's social care",
            vec![classify(&["CHILD_AT_RISK"])],
            &["CHILDRENS_SOCIAL_CARE"],
        ),
        (
            "Care Act 2014 s.42: an adult at risk: adult social care",
            vec![classify(&["ADULT_AT_RISK"])],
            &["ADULT_SOCIAL_CARE"],
        ),
        (
            "Care Act 2014 s.42 needs care and support needs and abuse: an older person alone is not an adult at risk by that alone",
            vec![flagged(vec![
                VulnerabilityFlag::OlderPerson,
                VulnerabilityFlag::AloneIsolated,
            ])],
            &[],
        ),
        (
            "High-risk DA with children present: MARAC, IDVA and children's social care, each once",
            vec![
                classify(&["DOMESTIC_ABUSE", "CHILDREN_PRESENT"]),
                dash(15, None, true),
            ],
            &["MARAC", "IDVA", "CHILDRENS_SOCIAL_CARE"],
        ),
        (
            "Nothing safeguarding on the incident: nothing required",
            vec![],
            &[],
        ),
    ];
    for (guidance, commands, expected) in cases {
        assert_eq!(required(commands), expected, "{guidance}");
    }
}

fn incident_id() -> IncidentId {
    IncidentId(Uuid::from_u128(1))
}

fn referral_id(n: u128) -> ReferralId {
    ReferralId {
        belongs_to: BelongsTo::Incident(incident_id()),
        id: Uuid::from_u128(100 + n),
    }
}

/// Decide and fold `commands` on referral `id` as `role`, each a minute apart from `start`.
fn drive(
    id: ReferralId,
    role: Role,
    steps: Vec<(i64, ReferralCommand)>,
) -> Result<ReferralState, ReferralError> {
    let reference = reference();
    let roles = Roles::one(role);
    let who = user("officer");
    let mut state: Option<ReferralState> = None;
    for (minute, command) in steps {
        let c = ReferralContext {
            referral: &id,
            who: &who,
            roles: &roles,
            now: at(minute),
            reference: &reference,
        };
        for event in decide(state.as_ref(), command, c)? {
            let stamped = Stamped {
                at: at(minute),
                by: who.clone(),
                event,
            };
            state = Some(ReferralState::step(state, &id, &stamped).unwrap());
        }
    }
    state.ok_or_else(|| refuse("test", "none", "no events"))
}

fn draft(kind: &str) -> ReferralCommand {
    ReferralCommand::Draft {
        referral_type: code(kind),
        agency: None,
        reason: "high-risk DASH: 15 ticks".into(),
        about_person: None,
        sharing: None,
        shared: vec!["victim's name, address and DASH answers".into()],
        rules: vec![],
    }
}

fn without_consent(basis: &str, why: &str) -> Sharing {
    Sharing::WithoutConsent {
        basis: code(basis),
        why: why.into(),
    }
}

fn send(sharing: Option<Sharing>) -> ReferralCommand {
    ReferralCommand::Send {
        via: None,
        sharing,
        shared: None,
    }
}

#[test]
fn a_referral_goes_drafted_sent_acknowledged_outcome() {
    let referral = drive(
        referral_id(1),
        Role::ContactHandler,
        vec![
            (0, draft("MARAC")),
            (
                5,
                send(Some(without_consent(
                    "CRIME_PREVENTION",
                    "high risk: MARAC shares without consent where the risk is serious",
                ))),
            ),
            (
                60,
                ReferralCommand::RecordAcknowledgement {
                    their_reference: Some("MARAC-2026-114".into()),
                    note: None,
                },
            ),
            (
                600,
                ReferralCommand::RecordOutcome {
                    outcome: "heard at MARAC: safety plan, IDVA allocated".into(),
                },
            ),
        ],
    )
    .unwrap();
    assert_eq!(referral.status.as_str(), "outcome_recorded");
    // How the agency is reached comes from the directory (agencies.psv).
    assert_eq!(referral.reached_via, "Force MARAC coordinator");
    // Due times are policy data: MARAC is sent within 24 hours (referral-types.psv).
    assert_eq!(referral.due, at(24 * 60));
}

#[test]
fn the_sent_event_is_the_disclosure_who_to_whom_what_when() {
    let reference = reference();
    let roles = Roles::one(Role::ContactHandler);
    let who = user("officer");
    let id = referral_id(2);
    let c = ReferralContext {
        referral: &id,
        who: &who,
        roles: &roles,
        now: at(0),
        reference: &reference,
    };
    let drafted = decide(None, draft("CHILDRENS_SOCIAL_CARE"), c).unwrap();
    let state = ReferralState::step(
        None,
        &id,
        &Stamped {
            at: at(0),
            by: who.clone(),
            event: drafted[0].clone(),
        },
    )
    .unwrap();
    let consent = Sharing::Consent {
        given_by: "the mother".into(),
        how: "verbally on the call at 14:02".into(),
    };
    let sent = decide(Some(&state), send(Some(consent.clone())), c).unwrap();
    let disclosure = sent[0].disclosure().unwrap();
    assert_eq!(disclosure.to.as_str(), "CHILDRENS_SOCIAL_CARE");
    assert_eq!(disclosure.what, ["victim's name, address and DASH answers"]);
    assert_eq!(disclosure.sharing, &consent);
    assert!(
        drafted[0].disclosure().is_none(),
        "a draft discloses nothing"
    );
}

#[test]
fn sending_without_consent_or_a_lawful_basis_is_refused_and_changes_nothing() {
    let id = referral_id(3);
    let drafted = drive(id, Role::ContactHandler, vec![(0, draft("MARAC"))]).unwrap();
    let reference = reference();
    let roles = Roles::one(Role::ContactHandler);
    let who = user("officer");
    let c = ReferralContext {
        referral: &id,
        who: &who,
        roles: &roles,
        now: at(1),
        reference: &reference,
    };
    let refused = |command| match decide(Some(&drafted), command, c) {
        Err(ReferralError::Refused(r)) => (r.rule, r.field),
        other => panic!("expected a refusal, got {other:?}"),
    };
    assert_eq!(
        refused(send(None)),
        ("referral.consent_or_basis", "sharing".into())
    );
    assert_eq!(
        refused(send(Some(without_consent("BECAUSE", "we can")))),
        ("sharing.basis_known", "sharing.basis".into())
    );
    assert_eq!(
        refused(send(Some(without_consent("SAFEGUARDING_CHILD", " ")))),
        ("sharing.why_without_consent", "sharing.why".into())
    );
    assert_eq!(
        refused(ReferralCommand::Send {
            via: None,
            sharing: Some(without_consent("SAFEGUARDING_CHILD", "risk to the child")),
            shared: Some(vec![]),
        }),
        ("referral.shared_recorded", "shared".into())
    );
    // Refusals are decisions only: the referral is as it was.
    assert_eq!(drafted.status, ReferralStatus::Drafted);
}

#[test]
fn unknown_agencies_types_and_out_of_order_steps_are_refused() {
    let id = referral_id(4);
    let rule = |steps| match drive(id, Role::ContactHandler, steps) {
        Err(ReferralError::Refused(r)) => r.rule,
        other => panic!("expected a refusal, got {other:?}"),
    };
    let mut to_nowhere = draft("MARAC");
    if let ReferralCommand::Draft { agency, .. } = &mut to_nowhere {
        *agency = Some(code("GHOSTBUSTERS"));
    }
    assert_eq!(rule(vec![(0, to_nowhere)]), "referral.agency_known");
    assert_eq!(rule(vec![(0, draft("PIXIES"))]), "referral.type_known");
    let mut wrong_rule = draft("MARAC");
    if let ReferralCommand::Draft { rules, .. } = &mut wrong_rule {
        *rules = vec![code("ADULT_AT_RISK")];
    }
    assert_eq!(rule(vec![(0, wrong_rule)]), "referral.rule_type");
    assert_eq!(
        rule(vec![(
            0,
            ReferralCommand::RecordOutcome {
                outcome: "x".into()
            }
        )]),
        "referral.known"
    );
    assert_eq!(
        rule(vec![
            (0, draft("MARAC")),
            (
                1,
                ReferralCommand::RecordAcknowledgement {
                    their_reference: None,
                    note: None
                }
            )
        ]),
        "referral.state"
    );
}

#[test]
fn only_a_supervisor_records_a_required_referral_as_not_made() {
    let not_made = ReferralCommand::RecordNotMade {
        reason: "the victim is already open to MARAC from last week (ref M-2026-98)".into(),
    };
    let handler = drive(
        referral_id(5),
        Role::ContactHandler,
        vec![(0, draft("MARAC")), (1, not_made.clone())],
    );
    assert_eq!(
        handler.unwrap_err(),
        ReferralError::NotPermitted(Permission::DecideReferralNotMade)
    );
    let supervisor = drive(
        referral_id(5),
        Role::Supervisor,
        vec![(0, draft("MARAC")), (1, not_made)],
    )
    .unwrap();
    assert_eq!(supervisor.status.as_str(), "not_made");
    assert!(supervisor.status.settles_requirement());
}

#[test]
fn an_agency_refusal_is_recorded_with_its_reason() {
    let refused = drive(
        referral_id(6),
        Role::ContactHandler,
        vec![
            (0, draft("ADULT_SOCIAL_CARE")),
            (
                1,
                send(Some(without_consent(
                    "SAFEGUARDING_ADULT",
                    "lacks capacity to consent today",
                ))),
            ),
            (
                2,
                ReferralCommand::RecordRefusal {
                    reason: "no care and support needs found".into(),
                },
            ),
        ],
    )
    .unwrap();
    assert!(
        matches!(refused.status, ReferralStatus::Refused { ref reason, .. } if reason.contains("no care"))
    );
}

#[test]
fn late_referrals_are_chased() {
    let drafted = drive(
        referral_id(7),
        Role::ContactHandler,
        vec![(0, draft("MARAC"))],
    )
    .unwrap();
    assert_eq!(
        drafted.chase(at(24 * 60)),
        None,
        "due at 24 hours, not yet late"
    );
    assert_eq!(
        drafted.chase(at(24 * 60 + 1)),
        Some(Chase::SendOverdue { due: at(24 * 60) })
    );
}

fn close_problems(incident: &Incident, referrals: &[ReferralState]) -> Vec<ClosureProblem> {
    let details = ClosureDetails::default();
    let qualifiers = [code("DOMESTIC_ABUSE")];
    check_with_referrals(
        incident,
        CloseRequest {
            closing_code: &code("PSW_DOMESTIC_NO_CRIME"),
            qualifiers: &qualifiers,
            details: &details,
        },
        &reference(),
        referrals,
    )
    .into_iter()
    .filter(|p| p.rule == "SAFEGUARDING-REFERRAL")
    .collect()
}

// SafeLives MARAC criteria: a high-risk DASH is referred to MARAC before the incident closes.
#[test]
fn closing_is_refused_until_the_marac_referral_is_sent() {
    let incident = run(vec![
        open_as(Some("DOMESTIC_INCIDENT")),
        dash(15, None, false),
        IncidentCommand::grade("scheduled", "r").unwrap(),
    ])
    .unwrap();
    let problems = close_problems(&incident, &[]);
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(
        problems[0].message.contains("MARAC_HIGH_RISK"),
        "{problems:?}"
    );
    assert!(problems[0].message.contains("SafeLives"), "{problems:?}");
    assert!(
        problems[0].message.contains("draft the referral"),
        "{problems:?}"
    );

    let marac_drafted = drive(
        referral_id(8),
        Role::ContactHandler,
        vec![(0, draft("MARAC"))],
    )
    .unwrap();
    let problems = close_problems(&incident, &[marac_drafted]);
    assert!(
        problems[0].message.contains("drafted but not sent"),
        "{problems:?}"
    );

    let basis = || Some(without_consent("CRIME_PREVENTION", "high risk"));
    let sent = |n, kind| {
        drive(
            referral_id(n),
            Role::ContactHandler,
            vec![(0, draft(kind)), (1, send(basis()))],
        )
        .unwrap()
    };
    assert!(close_problems(&incident, &[sent(8, "MARAC"), sent(9, "IDVA")]).is_empty());
    // A referral on another incident does not count for this one.
    let mut elsewhere = sent(10, "MARAC");
    elsewhere.id.belongs_to = BelongsTo::Incident(IncidentId(Uuid::from_u128(99)));
    assert_eq!(
        close_problems(&incident, &[elsewhere, sent(9, "IDVA")]).len(),
        1
    );
}

#[test]
fn the_shipped_policy_loads_with_sources_and_refuses_bad_rules() {
    let policy = reference().safeguarding;
    assert!(policy.rules.iter().all(|r| !r.source.is_empty()));
    assert!(policy.referral_type("MARAC").is_some());
    let mut files = shipped_files();
    files.push(SourceFile {
        name: "force/referral-rules.psv",
        text: "rule|when|referral_type|source\nODD|moon:full|MARAC|folklore\n",
    });
    let err = ReferenceData::load(&files).unwrap_err();
    assert!(err.message.contains("not a condition"), "{err}");
    let mut files = shipped_files();
    files.push(SourceFile {
        name: "force/referral-rules.psv",
        text: "rule|when|referral_type|source\nODD|domestic|NOWHERE|x\n",
    });
    let err = ReferenceData::load(&files).unwrap_err();
    assert!(err.message.contains("NOWHERE"), "{err}");
    // A force's own times replace the national default for a type.
    let mut files = shipped_files();
    files.push(SourceFile {
        name: "force/referral-types.psv",
        text: "code|agency|send_within_hours|acknowledge_within_hours|source\nMARAC|MARAC|4|24|our policy\n",
    });
    let force = ReferenceData::load(&files).unwrap();
    assert_eq!(
        force
            .safeguarding
            .referral_type("MARAC")
            .unwrap()
            .send_within,
        jiff::SignedDuration::from_hours(4)
    );
}

proptest! {
    /// Whatever qualifiers and DASH an incident has, a rule's referral is required exactly
    /// when every condition of some rule holds, and each type is required once.
    #[test]
    fn each_required_type_appears_once_and_only_when_a_rule_holds(
        yes in 0usize..28,
        quals in proptest::sample::subsequence(
            vec!["DOMESTIC_ABUSE", "CHILDREN_PRESENT", "CHILD_AT_RISK", "ADULT_AT_RISK", "ALCOHOL"], 0..5),
    ) {
        let mut commands = vec![classify(&quals)];
        if yes > 0 {
            commands.push(dash(yes - 1, None, false));
        }
        let types = required(commands);
        let mut unique = types.clone();
        unique.sort();
        unique.dedup();
        prop_assert_eq!(unique.len(), types.len());
        prop_assert_eq!(types.contains(&"MARAC".to_owned()), yes > 14);
        prop_assert_eq!(types.contains(&"ADULT_SOCIAL_CARE".to_owned()), quals.contains(&"ADULT_AT_RISK"));
    }
}
