//! The demo force: one user per role and a night shift's worth of incidents, created through
//! the same use cases as real work (so the audit trail is real too). Run by `serve --demo`.

use crate::crimes::{CrimeDraft, record_from_incident};
use crate::first_contact::{classify, signpost};
use crate::incidents::{CloseInput, add_log_entry, close, grade};
use crate::intelligence::record_person;
use crate::recording::decide_non_crime;
use crate::take_contact::{NewContact, take_contact};
use crate::users::add_user;
use crate::{Actor, App, AppError};
use controlroom_domain::contact::ContactDraft;
use controlroom_domain::pole::PersonDraft;
use controlroom_domain::roles::Role;
use controlroom_domain::user::Username;
use controlroom_domain::{Clock, ManualClock};
use controlroom_store::IncidentFilter;
use jiff::SignedDuration;
use std::sync::Arc;

#[derive(Debug, Clone)]
pub struct DemoUser {
    pub username: &'static str,
    pub role: Role,
    pub password: String,
}

pub fn demo_users() -> Vec<DemoUser> {
    [
        ("handler", Role::ContactHandler),
        ("dispatcher", Role::Dispatcher),
        ("recorder", Role::CrimeRecorder),
        ("registrar", Role::CrimeRegistrar),
        ("supervisor", Role::Supervisor),
        ("auditor", Role::Auditor),
        ("admin", Role::Admin),
    ]
    .into_iter()
    .map(|(username, role)| DemoUser {
        username,
        role,
        password: format!("{username}-demo"),
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

/// Create the demo users and incidents if they are not there yet. Safe to run at every start.
pub async fn seed(app: &App) -> Result<DemoSummary, AppError> {
    let system = Actor::system();
    let mut users_created = 0;
    for user in demo_users() {
        let name = Username::parse(user.username)?;
        if app.store.user(&name).await?.is_none() {
            add_user(
                app,
                &system,
                user.username,
                user.role.as_str(),
                &user.password,
            )
            .await?;
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
    let handler = Actor {
        username: Username::parse("handler")?,
        role: Role::ContactHandler,
    };
    let recorder = Actor {
        username: Username::parse("recorder")?,
        role: Role::CrimeRecorder,
    };
    for (i, call) in CALLS.iter().enumerate() {
        clock.set(start + spacing * i32::try_from(i + 1).unwrap_or(0));
        let draft = ContactDraft {
            channel: call.channel.into(),
            received_at: Some(clock.now() - SignedDuration::from_secs(9)),
            caller_name: call.caller.into(),
            caller_phone: Some(call.phone.into()),
            caller_is_victim: call.victim,
            location_text: call.place.into(),
            lat: Some(call.at.0),
            lon: Some(call.at.1),
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
            },
            None,
        )
        .await?;
        let id = opened.incident.id;
        let reference = opened.incident.reference.to_string();
        if !call.qualifiers.is_empty() {
            let qualifiers: Vec<String> = call.qualifiers.iter().map(|q| (*q).to_owned()).collect();
            classify(&shift, &handler, id, None, &qualifiers, None).await?;
        }
        for line in call.log {
            clock.advance(SignedDuration::from_secs(40));
            add_log_entry(&shift, &handler, id, line, None, None).await?;
        }
        clock.advance(SignedDuration::from_secs(50));
        if !matches!(call.outcome, Outcome::Open) {
            assess_like_a_handler(&shift, &handler, id, call).await?;
        }
        match call.outcome {
            Outcome::Open => {}
            Outcome::Graded(g, why) => {
                grade(&shift, &handler, id, g, why, None, None).await?;
            }
            Outcome::Closed(g, why, code, qualifiers, resolution) => {
                grade(&shift, &handler, id, g, why, None, None).await?;
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
                    signpost(&shift, &handler, id, agency, advice, None).await?;
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
                        )
                        .await?;
                        let recorded = record_from_incident(
                            &shift,
                            &recorder,
                            id,
                            CrimeDraft {
                                classification: classification.to_owned(),
                                parties: vec![(victim.reference.id.to_string(), "victim".into())],
                                offence_from: (clock.now() - SignedDuration::from_hours(2))
                                    .to_string(),
                                modus_operandi: call.summary.to_owned(),
                                ..CrimeDraft::default()
                            },
                            None,
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
                close(&shift, &handler, id, input, None).await?;
            }
        }
    }
    Ok(DemoSummary {
        users_created,
        incidents_created: CALLS.len(),
    })
}

/// What a handler establishes before grading: every question for the type answered (yes for
/// the facts the call's qualifiers record), and THRIVE where the call is resolved without
/// an officer, as force policy asks before a low grade.
async fn assess_like_a_handler(
    shift: &App,
    handler: &Actor,
    id: controlroom_domain::incident::IncidentId,
    call: &Call,
) -> Result<(), AppError> {
    let answers: Vec<(String, String)> = shift
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
    crate::first_contact::answer_questions(shift, handler, id, &answers, None).await?;
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
            shift,
            handler,
            id,
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
            None,
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
