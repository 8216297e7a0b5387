//! The demo force: one user per role and a night shift's worth of incidents, created through
//! the same use cases as real work (so the audit trail is real too). Run by `serve --demo`.

use crate::crimes::{CrimeDraft, record_from_incident};
use crate::first_contact::{classify, signpost};
use crate::incidents::{CloseInput, IncidentRequest, add_log_entry, close, grade};
use crate::intelligence::record_person;
use crate::recording::decide_non_crime;
use crate::take_contact::{NewContact, take_contact};
use crate::users::add_user;
use crate::{Actor, App, AppError};
use controlroom_domain::contact::{CallerDraft, ContactDraft, LocationDraft};
use controlroom_domain::pole::PersonDraft;
use controlroom_domain::roles::{Role, Roles};
use controlroom_domain::user::Username;
use controlroom_domain::{Clock, ManualClock};
use controlroom_store::IncidentFilter;
use jiff::SignedDuration;
use std::sync::Arc;

#[derive(Debug, Clone)]
pub struct DemoUser {
    pub username: &'static str,
    pub roles: Roles,
    pub password: String,
}

pub fn demo_users() -> Vec<DemoUser> {
    use Role::*;
    let users: [(&'static str, &[Role]); 11] = [
        ("handler", &[ContactHandler]),
        ("dispatcher", &[Dispatcher]),
        ("recorder", &[CrimeRecorder]),
        ("registrar", &[CrimeRegistrar]),
        ("supervisor", &[Supervisor]),
        ("auditor", &[Auditor]),
        ("admin", &[Admin]),
        // A contact-and-crime-recorder operator: takes the call and records the crime.
        ("operator", &[ContactHandler, CrimeRecorder]),
        ("investigator", &[Investigator]),
        ("csi_officer", &[Csi]),
        // A neighbourhood officer in Harehills (NPT_LS8): takes the team's tasks.
        ("pc_ls8", &[Investigator]),
    ];
    users
        .into_iter()
        .filter_map(|(username, roles)| {
            Some(DemoUser {
                username,
                roles: Roles::try_from(roles.to_vec()).ok()?,
                password: format!("{username}-demo"),
            })
        })
        .collect()
}

enum Outcome {
    Open,
    Graded(&'static str, &'static str),
    Closed(
        &'static str,
        &'static str,
        &'static str,
        &'static [&'static str],
        &'static str,
    ),
}

struct Call {
    channel: &'static str,
    caller: &'static str,
    phone: &'static str,
    victim: bool,
    place: &'static str,
    at: (f64, f64),
    summary: &'static str,
    kind: &'static str,
    qualifiers: &'static [&'static str],
    log: &'static [&'static str],
    outcome: Outcome,
}

/// Phone numbers are from Ofcom's range reserved for drama (07700 900000–900999).
const CALLS: &[Call] = &[
    Call {
        channel: "999",
        caller: "Aisha Khan",
        phone: "07700 900101",
        victim: true,
        place: "14 Cardigan Road, Headingley, Leeds LS6 3AG",
        at: (53.8195, -1.5763),
        summary: "Ex-partner banging on the door, says he will kick it in. Two children in the house.",
        kind: "DOMESTIC_INCIDENT",
        qualifiers: &["DOMESTIC_ABUSE", "CHILD_AT_RISK"],
        log: &[
            "Caller whispering, locked in bathroom with children",
            "Suspect named as Lee Carter, believed drinking",
        ],
        outcome: Outcome::Graded(
            "emergency",
            "Immediate threat; children present; previous DA history at address",
        ),
    },
    Call {
        channel: "101",
        caller: "Graham Whitley",
        phone: "07700 900102",
        victim: true,
        place: "Car park, Kirkstall Retail Park, Leeds LS5 3RP",
        at: (53.8118, -1.5905),
        summary: "Returned to car to find the rear window smashed and laptop bag taken.",
        kind: "CRIME_VEHICLE",
        qualifiers: &[],
        log: &["No CCTV known; caller will check with centre management"],
        outcome: Outcome::Closed(
            "resolution_without_deployment",
            "No suspect, no forensic opportunity, caller safe",
            "CRIME_RECORDED",
            &[],
            "Crime recorded; caller given crime reference and Victim Support details",
        ),
    },
    Call {
        channel: "999",
        caller: "Paul Ndlovu",
        phone: "07700 900103",
        victim: false,
        place: "Outside The Fenton, Woodhouse Lane, Leeds LS2 3AW",
        at: (53.8057, -1.5520),
        summary: "Group of men fighting, one on the floor not moving.",
        kind: "CRIME_VIOLENCE",
        qualifiers: &["INJURY", "WEAPON_OTHER"],
        log: &[
            "Ambulance requested via YAS",
            "Second caller reports bottle used",
        ],
        outcome: Outcome::Graded("emergency", "Serious injury reported; ongoing violence"),
    },
    Call {
        channel: "online",
        caller: "Margaret Ellis",
        phone: "07700 900104",
        victim: true,
        place: "22 Oakwood Lane, Roundhay, Leeds LS8 2JD",
        at: (53.8265, -1.5080),
        summary: "Received phone call from 'bank' and transferred 4,000 pounds to a safe account.",
        kind: "CRIME_FRAUD",
        qualifiers: &[],
        log: &[],
        outcome: Outcome::Closed(
            "signposted",
            "Fraud with no ongoing risk; Action Fraud is the reporting route",
            "CRIME_TRANSFERRED",
            &[],
            "Caller referred to Action Fraud; bank contacted; safeguarding referral for older victim",
        ),
    },
    Call {
        channel: "999",
        caller: "Tom Birch",
        phone: "07700 900105",
        victim: false,
        place: "A64 York Road near Killingbeck roundabout, Leeds",
        at: (53.8043, -1.4913),
        summary: "Car on its roof after collision, driver still inside, smoke from engine.",
        kind: "RTC_DEATH_INJURY",
        qualifiers: &["INJURY"],
        log: &[
            "Fire and ambulance informed",
            "Road closure needed eastbound",
        ],
        outcome: Outcome::Graded("emergency", "Risk to life; persons trapped"),
    },
    Call {
        channel: "101",
        caller: "Sandra Hughes",
        phone: "07700 900106",
        victim: true,
        place: "7 Chapel Street, Pudsey, Leeds LS28 7BS",
        at: (53.7960, -1.6611),
        summary: "Neighbours playing loud music every night past 2am for a fortnight.",
        kind: "ASB_NUISANCE",
        qualifiers: &[],
        log: &[],
        outcome: Outcome::Closed(
            "signposted",
            "Ongoing nuisance with no immediate risk; local authority leads on noise",
            "ASB_NUISANCE_REFERRED",
            &[],
            "Referred to Leeds City Council noise team; neighbourhood team informed",
        ),
    },
    Call {
        channel: "999",
        caller: "Jordan Price",
        phone: "07700 900107",
        victim: false,
        place: "Costcutter, Harehills Road, Leeds LS8 5HS",
        at: (53.8121, -1.5178),
        summary: "Man in shop with a knife demanding money from the till, just left towards Roundhay Road.",
        kind: "CRIME_ROBBERY",
        qualifiers: &["KNIFE"],
        log: &[
            "Suspect: white male, 20s, grey tracksuit, black face covering",
            "Staff unhurt",
        ],
        outcome: Outcome::Graded(
            "emergency",
            "Weapon involved; suspect nearby; opportunity to detain",
        ),
    },
    Call {
        channel: "101",
        caller: "Helen Moss",
        phone: "07700 900108",
        victim: false,
        place: "Bus stop, Otley Road, Adel, Leeds LS16",
        at: (53.8530, -1.5840),
        summary: "Older man seemed confused and lost, now taken home by a relative.",
        kind: "CONCERN_FOR_SAFETY",
        qualifiers: &[],
        log: &[],
        outcome: Outcome::Closed(
            "resolution_without_deployment",
            "Person now safe with family",
            "PSW_ADVICE",
            &["MENTAL_HEALTH"],
            "Confirmed with son that his father is home and safe; advice on dementia support given",
        ),
    },
    Call {
        channel: "999",
        caller: "Priya Shah",
        phone: "07700 900109",
        victim: true,
        place: "Flat 3, 45 Beeston Road, Leeds LS11 6AU",
        at: (53.7795, -1.5510),
        summary: "Someone trying door handles on the landing, caller alone and frightened.",
        kind: "SUSPICIOUS_CIRCUMSTANCES",
        qualifiers: &[],
        log: &["Caller has previous report of stalking"],
        outcome: Outcome::Graded(
            "priority",
            "Repeat victim of stalking; suspect may still be present",
        ),
    },
    Call {
        channel: "email",
        caller: "Rev. David Okafor",
        phone: "07700 900110",
        victim: true,
        place: "St Mark's Church, Woodhouse, Leeds LS2 9JB",
        at: (53.8110, -1.5560),
        summary: "Graffiti sprayed on church doors overnight, including offensive words.",
        kind: "CRIME_DAMAGE",
        qualifiers: &["HATE_RELIGION"],
        log: &["Photos attached to email"],
        outcome: Outcome::Graded(
            "scheduled",
            "No ongoing threat; possible hate element needs an officer visit",
        ),
    },
    Call {
        channel: "front_counter",
        caller: "Kevin Armitage",
        phone: "07700 900111",
        victim: true,
        place: "Elland Road Police Station front counter",
        at: (53.7790, -1.5720),
        summary: "Reports his bicycle stolen from outside his house yesterday.",
        kind: "CRIME_THEFT",
        qualifiers: &[],
        log: &[],
        outcome: Outcome::Closed(
            "resolution_without_deployment",
            "No lines of enquiry; victim not vulnerable",
            "CRIME_RECORDED",
            &[],
            "Crime recorded at front counter; serial number added to the register",
        ),
    },
    Call {
        channel: "999",
        caller: "Chloe Dawson",
        phone: "07700 900112",
        victim: false,
        place: "Leeds Liverpool Canal towpath near Armley Mills",
        at: (53.8000, -1.5880),
        summary: "Young woman sitting on the edge of the bridge saying she wants to jump.",
        kind: "CONCERN_FOR_SAFETY",
        qualifiers: &["MENTAL_HEALTH"],
        log: &["Caller staying on the line and talking to her"],
        outcome: Outcome::Graded("emergency", "Immediate risk to life"),
    },
    Call {
        channel: "partner_agency",
        caller: "Leeds Children's Social Care duty team",
        phone: "07700 900113",
        victim: false,
        place: "18 Gipton Approach, Leeds LS9 6LL",
        at: (53.8130, -1.4970),
        summary: "15-year-old missing from care home since 18:00, known to associate with older males.",
        kind: "MISSING_PERSON",
        qualifiers: &["CHILD_AT_RISK", "EXPLOITATION"],
        log: &["Risk assessed as high: child exploitation concerns"],
        outcome: Outcome::Graded(
            "priority",
            "High-risk missing child; exploitation indicators",
        ),
    },
    Call {
        channel: "101",
        caller: "Barry Lund",
        phone: "07700 900114",
        victim: false,
        place: "Allotments off Stonegate Road, Meanwood, Leeds",
        at: (53.8340, -1.5620),
        summary: "Shed broken into overnight, tools taken.",
        kind: "CRIME_BURGLARY_BUSINESS",
        qualifiers: &[],
        log: &[],
        outcome: Outcome::Open,
    },
    Call {
        channel: "999",
        caller: "Fatima Begum",
        phone: "07700 900115",
        victim: true,
        place: "Corner of Roundhay Road and Bayswater Road, Leeds",
        at: (53.8150, -1.5250),
        summary: "Men shouting racist abuse at her and her daughter, following them.",
        kind: "CRIME_PUBLIC_ORDER",
        qualifiers: &["HATE_RACE"],
        log: &["Two males, one with a dog"],
        outcome: Outcome::Graded(
            "emergency",
            "Ongoing hate-motivated harassment; suspects following victims",
        ),
    },
    Call {
        channel: "online",
        caller: "Liam O'Connor",
        phone: "07700 900116",
        victim: true,
        place: "Online marketplace, seller based in Bradford",
        at: (53.7950, -1.7590),
        summary: "Paid for a phone that never arrived, seller has blocked him.",
        kind: "CRIME_FRAUD",
        qualifiers: &[],
        log: &[],
        outcome: Outcome::Closed(
            "signposted",
            "Online purchase fraud; reporting route is Action Fraud",
            "CRIME_TRANSFERRED",
            &[],
            "Signposted to Action Fraud and the marketplace's buyer protection",
        ),
    },
    Call {
        channel: "999",
        caller: "Dr Ruth Adeyemi",
        phone: "07700 900117",
        victim: false,
        place: "St James's University Hospital A&E, Beckett Street, Leeds LS9 7TF",
        at: (53.8070, -1.5200),
        summary: "Patient assaulting staff and damaging equipment in A&E.",
        kind: "CRIME_VIOLENCE",
        qualifiers: &[],
        log: &["Security holding the patient in a side room"],
        outcome: Outcome::Graded("emergency", "Ongoing violence towards staff"),
    },
    Call {
        channel: "101",
        caller: "Janet Cole",
        phone: "07700 900118",
        victim: true,
        place: "3 Elm Terrace, Horsforth, Leeds LS18 5AA",
        at: (53.8410, -1.6370),
        summary: "Wants to report her son for taking her bank card without permission again.",
        kind: "CRIME_THEFT",
        qualifiers: &[],
        log: &["Son has drug issues, no violence reported"],
        outcome: Outcome::Graded(
            "scheduled",
            "Familial theft; caller wants an officer visit tomorrow",
        ),
    },
    Call {
        channel: "999",
        caller: "Mark Pearson",
        phone: "07700 900119",
        victim: false,
        place: "Tesco Extra, Seacroft, Leeds LS14 6NE",
        at: (53.8230, -1.4600),
        summary: "Shoplifter detained by security, being aggressive.",
        kind: "CRIME_SHOPLIFTING",
        qualifiers: &[],
        log: &[],
        outcome: Outcome::Graded(
            "priority",
            "Detained person, aggression; attend within the hour",
        ),
    },
    Call {
        channel: "101",
        caller: "Alan Foster",
        phone: "07700 900120",
        victim: false,
        place: "Playing fields, Holt Park, Leeds LS16",
        at: (53.8580, -1.6040),
        summary: "Youths riding off-road bikes across the playing fields.",
        kind: "ASB_NUISANCE",
        qualifiers: &[],
        log: &[],
        outcome: Outcome::Closed(
            "resolution_without_deployment",
            "No immediate risk; intelligence for the neighbourhood team",
            "ASB_NUISANCE_RESOLVED",
            &[],
            "Logged for Holt Park neighbourhood team; caller advised to report via online form next time",
        ),
    },
    Call {
        channel: "999",
        caller: "Sophie Turner",
        phone: "07700 900121",
        victim: true,
        place: "Leeds Station, New Station Street, Leeds LS1 4DY",
        at: (53.7953, -1.5480),
        summary: "Man exposed himself to her on the platform, still nearby.",
        kind: "CRIME_SEXUAL",
        qualifiers: &[],
        log: &["British Transport Police informed"],
        outcome: Outcome::Graded(
            "emergency",
            "Suspect nearby; BTP jurisdiction but joint response",
        ),
    },
    Call {
        channel: "101",
        caller: "Gareth Hill",
        phone: "07700 900122",
        victim: false,
        place: "Lay-by, A660 near Bramhope",
        at: (53.8820, -1.6190),
        summary: "Car abandoned for three days with the window open.",
        kind: "ABANDONED_VEHICLE",
        qualifiers: &[],
        log: &[],
        outcome: Outcome::Open,
    },
    Call {
        channel: "999",
        caller: "Nadia Rahman",
        phone: "07700 900123",
        victim: false,
        place: "Woodhouse Moor park, Leeds LS6",
        at: (53.8120, -1.5600),
        summary: "Heard what sounded like gunshots, people running.",
        kind: "FIREARMS_INCIDENT",
        qualifiers: &["FIREARMS"],
        log: &["Three other callers reporting the same"],
        outcome: Outcome::Graded("emergency", "Possible firearm discharge; risk to life"),
    },
    Call {
        channel: "101",
        caller: "Eileen Marsh",
        phone: "07700 900124",
        victim: true,
        place: "11 Wensley Drive, Chapel Allerton, Leeds LS7",
        at: (53.8320, -1.5380),
        summary: "Receiving threatening text messages from an unknown number.",
        kind: "CRIME_MALICIOUS_COMMS",
        qualifiers: &[],
        log: &[],
        outcome: Outcome::Open,
    },
];

/// The database setting that marks a database created by `serve --demo`.
pub const DEMO_SETTING: &str = "demo";

/// Make sure this database may hold the demo force, whose passwords are published: one
/// created by the demo (marked so before any demo data is written), or an empty one, which
/// is marked now. A database with users or incidents of its own is refused.
async fn claim_for_the_demo(app: &App) -> Result<(), AppError> {
    if app.store.setting(DEMO_SETTING).await?.is_some() {
        return Ok(());
    }
    let has_users = !app.store.list_users().await?.is_empty();
    let has_incidents = !app
        .store
        .list_incidents(&IncidentFilter {
            limit: 1,
            ..IncidentFilter::default()
        })
        .await?
        .is_empty();
    if has_users || has_incidents {
        return Err(AppError::Conflict(format!(
            "this database was not created as a demo: it already has {}, and the demo would add users whose passwords are published; run without --demo, or point --database-url at a new file",
            match (has_users, has_incidents) {
                (true, true) => "users and incidents",
                (true, false) => "users",
                _ => "incidents",
            }
        )));
    }
    // Written before any demo data, so demo data is never found without it.
    let now = app.now();
    let system = Actor::system();
    let mut tx = app.store.begin().await?;
    tx.insert_setting(
        DEMO_SETTING,
        "created by serve --demo",
        now.as_microsecond(),
    )
    .await?;
    tx.append(controlroom_store::NewRecord {
        category: controlroom_domain::audit::Category::Change,
        stream: format!("settings/{DEMO_SETTING}"),
        kind: "database_marked_demo".to_owned(),
        actor: system.username.to_string(),
        at_micros: now.as_microsecond(),
        payload: serde_json::json!({
            "setting": DEMO_SETTING,
            "why": "created by serve --demo: its users' passwords are published",
        })
        .to_string(),
        role: system.role_to_record(),
        searchable: false,
    })
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Create the demo users and incidents if they are not there yet. Safe to run at every start
/// of a demo database; refused on a database that was not created as one.
pub async fn seed(app: &App) -> Result<DemoSummary, AppError> {
    claim_for_the_demo(app).await?;
    let system = Actor::system();
    let mut users_created = 0;
    for user in demo_users() {
        let name = Username::parse(user.username)?;
        if app.store.user(&name).await?.is_none() {
            let roles: Vec<&str> = user.roles.iter().map(Role::as_str).collect();
            add_user(app, &system, user.username, &roles, &user.password).await?;
            users_created += 1;
        }
    }
    crate::demo_gazetteer::seed(app).await?;
    let existing = app
        .store
        .list_incidents(&IncidentFilter {
            limit: 1,
            ..IncidentFilter::default()
        })
        .await?;
    if !existing.is_empty() {
        return Ok(DemoSummary {
            users_created,
            incidents_created: 0,
        });
    }

    // Replay the night shift on a clock of its own, ending now, so the incidents have real ages.
    let now = app.clock.now();
    let spacing = SignedDuration::from_mins(23);
    // Each call's handling takes a few minutes after it starts; end them all before now.
    let start = now - spacing * i32::try_from(CALLS.len() + 1).unwrap_or(0);
    let clock = Arc::new(ManualClock::new(start));
    let mut shift = App::new(app.store.clone(), clock.clone(), app.settings.clone());
    // The shift's records go into the server's own intelligence index, not a throwaway one.
    shift.search = app.search.clone();
    // Units go into the server's own registry, so the board shows them at once.
    shift.units = app.units.clone();
    shift.live = app.live.clone();
    let handler = Actor::with_role(Username::parse("handler")?, Role::ContactHandler);
    let recorder = Actor::with_role(Username::parse("recorder")?, Role::CrimeRecorder);
    let dispatcher = Actor::with_role(Username::parse("dispatcher")?, Role::Dispatcher);
    let mut units = std::collections::HashMap::new();
    for unit in UNITS {
        let skills: Vec<String> = unit.skills.iter().map(|s| (*s).to_owned()).collect();
        let registered = crate::dispatch::register(
            &shift,
            &dispatcher,
            unit.call_sign,
            unit.unit_type,
            &skills,
            unit.station,
            &unit
                .crew
                .iter()
                .map(|c| (*c).to_owned())
                .collect::<Vec<_>>(),
        )
        .await?;
        crate::dispatch::report_position(&shift, &dispatcher, registered.id, unit.at.0, unit.at.1)
            .await?;
        units.insert(unit.call_sign, registered.id);
    }
    let mut opened_ids = std::collections::HashMap::new();
    for (i, call) in CALLS.iter().enumerate() {
        clock.set(start + spacing * i32::try_from(i + 1).unwrap_or(0));
        let draft = ContactDraft {
            channel: call.channel.into(),
            received_at: Some(clock.now() - SignedDuration::from_secs(9)),
            caller: CallerDraft {
                phone: Some(call.phone.into()),
                is_victim: call.victim,
                ..CallerDraft::named(call.caller)
            },
            location: LocationDraft {
                lat: Some(call.at.0),
                lon: Some(call.at.1),
                ..LocationDraft::described(call.place)
            },
            summary: call.summary.into(),
            ..ContactDraft::default()
        };
        let opened = take_contact(
            &shift,
            &handler,
            NewContact {
                draft,
                incident_type: Some(call.kind.into()),
                join: None,
                chosen: None,
            },
            None,
        )
        .await?;
        let id = opened.incident.id;
        let handled = IncidentRequest {
            app: &shift,
            actor: &handler,
            id,
            idempotency: None,
        };
        let reference = opened.incident.reference.to_string();
        if !call.qualifiers.is_empty() {
            let qualifiers: Vec<String> = call.qualifiers.iter().map(|q| (*q).to_owned()).collect();
            classify(handled, None, &qualifiers).await?;
        }
        for line in call.log {
            clock.advance(SignedDuration::from_secs(40));
            add_log_entry(handled, line, None).await?;
        }
        clock.advance(SignedDuration::from_secs(50));
        if !matches!(call.outcome, Outcome::Open) {
            assess_like_a_handler(handled, call).await?;
        }
        match call.outcome {
            Outcome::Open => {}
            Outcome::Graded(g, why) => {
                grade(handled, g, why, None).await?;
                // Units sent to it, as the dispatcher did, and how far they got.
                for sent in SENT.iter().filter(|s| s.caller == call.caller) {
                    let Some(&unit) = units.get(sent.call_sign) else {
                        continue;
                    };
                    clock.advance(SignedDuration::from_secs(45));
                    crate::dispatch::assign(&shift, &dispatcher, id, unit).await?;
                    for status in sent.statuses {
                        clock.advance(SignedDuration::from_mins(3));
                        crate::dispatch::set_status(&shift, &dispatcher, unit, status, None)
                            .await?;
                    }
                }
            }
            Outcome::Closed(g, why, code, qualifiers, resolution) => {
                grade(handled, g, why, None).await?;
                clock.advance(SignedDuration::from_mins(4));
                // What NSIR and NCRS ask for at closure, as a handler would have recorded it.
                let agency = match code {
                    "CRIME_TRANSFERRED" => Some((
                        "ACTION_FRAUD",
                        "Caller given the Action Fraud number and website",
                    )),
                    "ASB_NUISANCE_REFERRED" => Some((
                        "LA_NOISE",
                        "Caller given the council's out-of-hours noise line",
                    )),
                    _ => None,
                };
                if let Some((agency, advice)) = agency {
                    signpost(handled, agency, advice).await?;
                }
                let crime = code.starts_with("CRIME_");
                // The recorder's NCRS decision, made before the close that cites it: the crime
                // recorded (its number goes on the closure), or, for fraud, the report left to
                // Action Fraud, which records it nationally.
                let crime_reference = match (code, demo_classification(call.kind)) {
                    ("CRIME_RECORDED", Some(classification)) => {
                        let victim = record_person(
                            &shift,
                            &recorder,
                            PersonDraft {
                                names: vec![call.caller.to_owned()],
                                phones: vec![call.phone.to_owned()],
                                ..PersonDraft::default()
                            },
                            None,
                        )
                        .await?;
                        let recorded = record_from_incident(
                            IncidentRequest {
                                actor: &recorder,
                                ..handled
                            },
                            CrimeDraft {
                                classification: classification.to_owned(),
                                parties: vec![(victim.reference.id.to_string(), "victim".into())],
                                offence_from: (clock.now() - SignedDuration::from_hours(2))
                                    .to_string(),
                                modus_operandi: call.summary.to_owned(),
                                ..CrimeDraft::default()
                            },
                        )
                        .await?;
                        Some(recorded.record.recording.reference)
                    }
                    ("CRIME_TRANSFERRED", _) => {
                        decide_non_crime(
                            &shift,
                            &recorder,
                            id,
                            "another_force_records",
                            "Fraud reported to Action Fraud, which records it for the National Fraud Intelligence Bureau",
                            None,
                        )
                        .await?;
                        Some(format!("Action Fraud referral for {reference}"))
                    }
                    _ => crime.then(|| format!("CRN-{reference}")),
                };
                let input = CloseInput {
                    closing_code: Some(code.to_owned()),
                    qualifiers: qualifiers.iter().map(|q| (*q).to_owned()).collect(),
                    resolution: resolution.to_owned(),
                    crime_reference,
                    outcome: (g == "resolution_without_deployment").then(|| {
                        if crime {
                            "desk_investigation"
                        } else {
                            "advice_given"
                        }
                        .to_owned()
                    }),
                    ..CloseInput::default()
                };
                close(handled, input).await?;
            }
        }
        opened_ids.insert(call.caller, id);
    }
    // The unit on its break.
    if let Some(&unit) = units.get("TR31") {
        crate::dispatch::set_status(&shift, &dispatcher, unit, "refreshment", None).await?;
    }
    people_on_record(&shift, &handler, &opened_ids).await?;
    diary_week(&shift, &dispatcher).await?;
    team_rosters(&shift).await?;
    Ok(DemoSummary {
        users_created,
        incidents_created: CALLS.len(),
    })
}

struct DemoUnit {
    call_sign: &'static str,
    unit_type: &'static str,
    skills: &'static [&'static str],
    station: &'static str,
    crew: &'static [&'static str],
    /// Where it is now (from the vehicle location feed): stations and patrol areas across
    /// Leeds, none on top of a call.
    at: (f64, f64),
}

/// The night turn on duty.
const UNITS: &[DemoUnit] = &[
    DemoUnit {
        call_sign: "LD11",
        unit_type: "response",
        skills: &["first_aid"],
        station: "Elland Road",
        crew: &["PC 4411 Ward", "PC 5120 Osei"],
        at: (53.7760, -1.5830),
    },
    DemoUnit {
        call_sign: "LD12",
        unit_type: "response",
        skills: &["taser", "first_aid"],
        station: "Chapeltown",
        crew: &["PC 3307 Lambert", "PC 6021 Nowak"],
        at: (53.8290, -1.5330),
    },
    DemoUnit {
        call_sign: "LD14",
        unit_type: "response",
        skills: &["first_aid", "advanced_driver"],
        station: "Killingbeck",
        crew: &["PC 2290 Hussain"],
        at: (53.8095, -1.4850),
    },
    DemoUnit {
        call_sign: "LN21",
        unit_type: "neighbourhood",
        skills: &["first_aid"],
        station: "Weetwood",
        crew: &["PC 1876 Doyle", "PCSO 9012 Amin"],
        at: (53.8250, -1.5850),
    },
    DemoUnit {
        call_sign: "LN22",
        unit_type: "neighbourhood",
        skills: &[],
        station: "Pudsey",
        crew: &["PC 7734 Greenwood"],
        at: (53.7930, -1.6700),
    },
    DemoUnit {
        call_sign: "TR31",
        unit_type: "roads_policing",
        skills: &["advanced_driver", "first_aid"],
        station: "Stainbeck",
        crew: &["PC 5566 Fletcher"],
        at: (53.8400, -1.5500),
    },
    DemoUnit {
        call_sign: "ARV1",
        unit_type: "armed_response",
        skills: &["firearms", "taser", "first_aid", "advanced_driver"],
        station: "Elland Road",
        crew: &["PC 1010 Marsden", "PC 1102 Iqbal"],
        at: (53.7800, -1.5950),
    },
    DemoUnit {
        call_sign: "DOG2",
        unit_type: "dog",
        skills: &["dog_handler"],
        station: "Carr Gate",
        crew: &["PC 8843 Rowe"],
        at: (53.8450, -1.5950),
    },
    DemoUnit {
        call_sign: "CSI4",
        unit_type: "csi",
        skills: &["forensic"],
        station: "Elland Road",
        crew: &["CSI Patel"],
        at: (53.7770, -1.5750),
    },
];

struct Sent {
    caller: &'static str,
    call_sign: &'static str,
    /// The statuses it reported after being assigned.
    statuses: &'static [&'static str],
}

/// Units busy on the shift's incidents.
const SENT: &[Sent] = &[
    Sent {
        caller: "Aisha Khan",
        call_sign: "LN21",
        statuses: &["en_route", "at_scene"],
    },
    Sent {
        caller: "Tom Birch",
        call_sign: "LD14",
        statuses: &["en_route"],
    },
    Sent {
        caller: "Nadia Rahman",
        call_sign: "ARV1",
        statuses: &["en_route"],
    },
];

struct Known {
    name: &'static str,
    born: &'static str,
    address: &'static str,
    /// (marker kind, reason, source)
    markers: &'static [(&'static str, &'static str, &'static str)],
    /// (the caller whose incident they are linked to, how)
    linked: &'static [(&'static str, &'static str)],
}

/// People on record, with warning markers and history linked to the shift's incidents, so an
/// intelligence check finds something real.
const PEOPLE: &[Known] = &[
    Known {
        name: "Lee Carter",
        born: "1988-04-12",
        address: "Flat 3, 22 Hyde Park Road, Leeds LS6 1AB",
        markers: &[(
            "violence",
            "Threatened to kill his ex-partner; assaulted her in 2025 (domestic abuse history)",
            "Force intelligence report, MARAC Leeds",
        )],
        linked: &[("Aisha Khan", "suspect")],
    },
    Known {
        name: "Aisha Khan",
        born: "1992-09-30",
        address: "14 Cardigan Road, Headingley, Leeds LS6 3AG",
        markers: &[(
            "vulnerable_resident",
            "High-risk domestic abuse victim; two children at the address; MARAC case",
            "DASH risk assessment, MARAC Leeds",
        )],
        linked: &[("Aisha Khan", "victim")],
    },
    Known {
        name: "Darren Webb",
        born: "1996-01-17",
        address: "41 Woodhouse Street, Leeds LS6 2PY",
        markers: &[
            (
                "weapons",
                "Carries a lock knife: found on him at arrest in 2025",
                "Custody record, Elland Road",
            ),
            (
                "officer_safety",
                "Violent on arrest; spits at officers",
                "Officer safety information report",
            ),
        ],
        linked: &[("Paul Ndlovu", "suspect"), ("Jordan Price", "suspect")],
    },
    Known {
        name: "Paul Ndlovu",
        born: "1979-06-05",
        address: "8 Blenheim Walk, Leeds LS2 9AQ",
        markers: &[],
        linked: &[("Paul Ndlovu", "caller")],
    },
    Known {
        name: "Chloe Dawson",
        born: "2003-11-22",
        address: "Room 12, 5 Kirkstall Lane, Leeds LS5 3BE",
        markers: &[(
            "mental_health",
            "Previous attempts at self-harm; crisis team involved",
            "Mental health triage, Leeds and York Partnership NHS Foundation Trust",
        )],
        linked: &[("Chloe Dawson", "subject")],
    },
];

async fn people_on_record(
    shift: &App,
    handler: &Actor,
    opened: &std::collections::HashMap<&'static str, controlroom_domain::incident::IncidentId>,
) -> Result<(), AppError> {
    use controlroom_domain::pole::{Kind, RecordRef};
    let today = shift
        .clock
        .now()
        .to_zoned(shift.settings.time_zone.clone())
        .date();
    let review = today
        .checked_add(jiff::Span::new().years(1))
        .map_err(|e| AppError::Corrupt(format!("review date: {e}")))?
        .to_string();
    for known in PEOPLE {
        let person = record_person(
            shift,
            handler,
            PersonDraft {
                names: vec![known.name.to_owned()],
                date_of_birth: Some(known.born.to_owned()),
                addresses: vec![known.address.to_owned()],
                phones: CALLS
                    .iter()
                    .filter(|c| c.caller == known.name)
                    .map(|c| c.phone.to_owned())
                    .collect(),
                ..PersonDraft::default()
            },
            None,
        )
        .await?;
        for (kind, reason, source) in known.markers {
            crate::intelligence::add_marker(
                shift,
                handler,
                person.reference,
                crate::intelligence::MarkerDraft {
                    kind,
                    reason,
                    source,
                    review_by: &review,
                },
                None,
            )
            .await?;
        }
        for (caller, how) in known.linked {
            let Some(incident) = opened.get(caller) else {
                continue;
            };
            crate::intelligence::link(
                shift,
                handler,
                person.reference,
                RecordRef {
                    kind: Kind::Incident,
                    id: incident.0,
                },
                how,
                None,
            )
            .await?;
        }
    }
    Ok(())
}

/// Who is in which team: the neighbourhood officer in NPT_LS8, the supervisor on duty as
/// the duty inspector's contact, the contact handlers in the control room's own team.
async fn team_rosters(shift: &App) -> Result<(), AppError> {
    use controlroom_domain::tasking::roster::RosterCommand;
    let supervisor = Actor::with_role(Username::parse("supervisor")?, Role::Supervisor);
    for (team, user) in [
        ("NPT_LS8", "pc_ls8"),
        ("DUTY_INSPECTOR", "supervisor"),
        ("CONTROL_ROOM", "handler"),
        ("CONTROL_ROOM", "operator"),
    ] {
        let command = RosterCommand::AddMember {
            user: Username::parse(user)?,
        };
        crate::tasks::change_roster(shift, &supervisor, team, command, None).await?;
    }
    Ok(())
}

/// Appointment slots for the coming week in four areas (morning, afternoon, evening), and the
/// CSI team's.
async fn diary_week(shift: &App, dispatcher: &Actor) -> Result<(), AppError> {
    let today = shift
        .clock
        .now()
        .to_zoned(shift.settings.time_zone.clone())
        .date();
    let times: Vec<String> = ["10:00", "14:00", "18:00"]
        .iter()
        .map(|t| (*t).to_owned())
        .collect();
    for day in 0..7 {
        let date = today
            .checked_add(jiff::Span::new().days(day))
            .map_err(|e| AppError::Corrupt(format!("diary date: {e}")))?
            .to_string();
        for area in ["LS6", "LS7", "LS9", "LS11"] {
            crate::diary::open_slots(shift, dispatcher, area, &date, &times, 2).await?;
        }
        // The CSI team's diary: their attendances at scenes are booked here, two hourly.
        let csi_times: Vec<String> = (8..=20)
            .step_by(2)
            .map(|hour| format!("{hour:02}:00"))
            .collect();
        let csi = controlroom_domain::investigation::csi::DIARY_AREA;
        crate::diary::open_slots(shift, dispatcher, csi, &date, &csi_times, 2).await?;
    }
    Ok(())
}

/// What a handler establishes before grading: every question for the type answered (yes for
/// the facts the call's qualifiers record), and THRIVE where the call is resolved without
/// an officer, as force policy asks before a low grade.
async fn assess_like_a_handler(handled: IncidentRequest<'_>, call: &Call) -> Result<(), AppError> {
    let answers: Vec<(String, String)> = handled
        .app
        .settings
        .reference
        .questions_for(Some(call.kind))
        .iter()
        .map(|q| {
            let yes = call.qualifiers.contains(&q.fact.as_str())
                || (q.fact.as_str() == "WEAPON_SEEN"
                    && call
                        .qualifiers
                        .iter()
                        .any(|c| matches!(*c, "KNIFE" | "FIREARMS" | "WEAPON_OTHER")));
            (
                q.fact.to_string(),
                if yes { "yes" } else { "no" }.to_owned(),
            )
        })
        .collect();
    crate::first_contact::answer_questions(handled, &answers).await?;
    let low = matches!(
        call.outcome,
        Outcome::Graded("resolution_without_deployment", _)
            | Outcome::Closed("resolution_without_deployment", ..)
    );
    if low {
        let reason = |what: &str| {
            (
                ("low".to_owned()),
                format!("no {what} on the caller's account"),
            )
        };
        crate::first_contact::assess_thrive(
            handled,
            controlroom_domain::assessment::ThriveDraft {
                factors: [
                    reason("threat"),
                    reason("harm"),
                    reason("risk"),
                    (
                        "low".to_owned(),
                        "no lines of enquiry an officer must attend for".to_owned(),
                    ),
                    reason("vulnerability"),
                    (
                        "low".to_owned(),
                        "caller content with advice by phone".to_owned(),
                    ),
                ],
                information: call.summary.to_owned(),
                assessment: "low threat, harm and risk".to_owned(),
                powers_and_policy: "force graded response policy".to_owned(),
                options: "attendance, appointment, resolution by phone".to_owned(),
                action: "resolved without deployment".to_owned(),
            },
        )
        .await?;
    }
    Ok(())
}

/// The Home Office classification a demo call's crime is recorded under.
fn demo_classification(kind: &str) -> Option<&'static str> {
    match kind {
        "CRIME_VEHICLE" => Some("45"),
        "CRIME_THEFT" => Some("44"),
        _ => None,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DemoSummary {
    pub users_created: usize,
    pub incidents_created: usize,
}
