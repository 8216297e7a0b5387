use super::*;

/// The national reference files shipped in `reference/`.
pub(crate) fn shipped() -> Vec<SourceFile<'static>> {
    shipped_files()
}

fn with_extra(name: &'static str, text: &'static str) -> Result<ReferenceData, ReferenceError> {
    let mut files = shipped();
    files.push(SourceFile { name, text });
    ReferenceData::load(&files)
}

/// `text` added as `name` is refused, with a message that says `what`.
fn refused(name: &'static str, text: &'static str, what: &str) -> ReferenceError {
    let err = with_extra(name, text).unwrap_err();
    assert!(err.message.contains(what), "{err}");
    err
}

/// [`refused`], naming line `line` of `name`.
fn refused_at(name: &'static str, text: &'static str, line: usize, what: &str) -> ReferenceError {
    let err = refused(name, text, what);
    assert_eq!((err.file.as_str(), err.line), (name, line), "{err}");
    err
}

#[test]
fn the_shipped_reference_data_loads() {
    let data = ReferenceData::load(&shipped()).unwrap();
    assert_eq!(data.categories.len(), 7);
    assert!(data.incident_types.len() >= 40);
    assert!(
        data.qualifiers
            .iter()
            .any(|q| q.code.as_str() == "DOMESTIC_ABUSE")
    );
    assert_eq!(data.dash_questions.len(), 27);
    assert_eq!(
        data.policy.target_minutes(Grade::Emergency, Area::Urban),
        Some(15)
    );
    assert_eq!(
        data.policy.target_minutes(Grade::Emergency, Area::Rural),
        Some(20)
    );
    assert_eq!(
        data.policy.target_minutes(Grade::Priority, Area::Urban),
        Some(60)
    );
    assert!(
        data.closing_code("CRIME_RECORDED")
            .unwrap()
            .needs
            .contains(&ClosureNeed::CrimeLink)
    );
}

#[test]
fn a_force_extends_the_lists_without_a_code_change() {
    let data = with_extra(
        "force/incident-types.psv",
        "code|name|category\nDRONE_SIGHTING|Drone sighting|PUBLIC_SAFETY\n",
    )
    .unwrap();
    assert_eq!(
        data.incident_type("DRONE_SIGHTING")
            .unwrap()
            .category
            .as_str(),
        "PUBLIC_SAFETY"
    );
}

#[test]
fn a_duplicate_code_names_both_places() {
    let again = "# ours\ncode|name|category\nMISSING_PERSON|Missing|PUBLIC_SAFETY\n";
    let err = refused_at(
        "force/incident-types.psv",
        again,
        3,
        "duplicate code MISSING_PERSON",
    );
    assert!(
        err.message.contains("reference/incident-types.psv:"),
        "{err}"
    );
}

#[test]
fn a_missing_category_is_named() {
    let nowhere = "code|name|category\nX_TYPE|Something|NOT_A_CATEGORY\n";
    let undefined = "category NOT_A_CATEGORY is not defined";
    refused_at("force/incident-types.psv", nowhere, 2, undefined);
    refused(
        "force/closing-codes.psv",
        "code|name|category|needs\nZZ|Z|NOWHERE|\n",
        "category NOWHERE",
    );
}

#[test]
fn an_unknown_code_in_the_policy_is_named() {
    let err = with_extra(
        "force/grading-policy.psv",
        "rule|value|grade|reason\nqualifier|BAZOOKA|emergency|big gun\n",
    )
    .unwrap_err();
    assert_eq!(err.line, 2);
    assert!(
        err.message.contains("qualifier BAZOOKA is not defined"),
        "{err}"
    );
    refused(
        "force/grading-policy.psv",
        "rule|value|grade|reason\nqualifier|KNIFE|urgent|x\n",
        "'urgent' is not a grade",
    );
    refused(
        "force/grading-policy.psv",
        "rule|value|grade|reason\ntarget|urban|emergency|fifteen\n",
        "positive whole number",
    );
}

/// Comment lines count in line numbers, and quotes in prose are kept as typed (they are not
/// CSV quoting).
#[test]
fn comments_count_as_lines_and_quotes_are_text() {
    let data = with_extra(
        "force/qualifiers.psv",
        "# a force's own\n\ncode|name|description\nQUOTED|Said \"help\"|the caller said \"help\"\n",
    )
    .unwrap();
    let quoted = data
        .qualifiers
        .iter()
        .find(|q| q.code.as_str() == "QUOTED")
        .unwrap();
    assert_eq!(quoted.name, "Said \"help\"");
    let err = with_extra(
        "force/qualifiers.psv",
        "# a comment\n# another\ncode|name|description\nBAD|only two\n",
    )
    .unwrap_err();
    assert_eq!(err.line, 4, "{err}");
}

#[test]
fn malformed_files_are_named_with_the_line() {
    let err = with_extra("force/qualifiers.psv", "code|name\nX|Y\n").unwrap_err();
    assert_eq!((err.file.as_str(), err.line), ("force/qualifiers.psv", 1));
    assert!(err.message.contains("header"), "{err}");
    let err = with_extra(
        "force/qualifiers.psv",
        "code|name|description\n\nGOOD|Good|fine\nBAD|only two\n",
    )
    .unwrap_err();
    assert_eq!(err.line, 4);
    assert!(err.message.contains("expected 3 fields"), "{err}");
    refused(
        "force/qualifiers.psv",
        "code|name|description\nbad code!|x|y\n",
        "not a valid code",
    );
    refused(
        "force/agencies.psv",
        "code|name|when_to_use|contact\nX||when|c\n",
        "the name is empty",
    );
    refused("force/odd.psv", "a|b\n", "unknown reference file");
}

#[test]
fn a_missing_file_is_named() {
    let files: Vec<_> = shipped()
        .into_iter()
        .filter(|f| !f.name.ends_with("dash-questions.psv"))
        .collect();
    let err = ReferenceData::load(&files).unwrap_err();
    assert_eq!(err.file, "dash-questions.psv");
}

#[test]
fn question_sets_signposting_and_settings_are_checked_and_named() {
    let data = ReferenceData::load(&shipped()).unwrap();
    let asked: Vec<&str> = data
        .questions_for(Some("CRIME_SHOPLIFTING"))
        .iter()
        .map(|q| q.fact.as_str())
        .collect();
    assert_eq!(asked[..3], ["THREAT_TO_LIFE", "INJURY", "WEAPON_SEEN"]);
    assert!(asked.contains(&"OFFENDER_DETAINED"));
    assert!(data.policy.assessment_before_grading, "on by default");
    assert!(
        data.policy
            .signposting
            .iter()
            .any(|r| r.incident_type.as_str() == "LOST_FOUND_PROPERTY")
    );

    let banana = "incident_type|fact|question\nCRIME_THEFT|BANANA|Is it a banana?\n";
    refused_at(
        "force/question-sets.psv",
        banana,
        2,
        "fact BANANA is not defined",
    );
    refused(
        "force/signposting.psv",
        "incident_type|agency|unless|reason\nALARM|DOG_WARDEN|THREAT_TO_LIFE,sometimes|r\n",
        "'sometimes' in unless",
    );
    refused(
        "force/signposting.psv",
        "incident_type|agency|unless|reason\nLOST_FOUND_PROPERTY|HIGHWAYS||again\n",
        "a second signposting rule",
    );
    refused(
        "force/grading-policy.psv",
        "rule|value|grade|reason\nsignpost|ANIMALS|signposted|old style\n",
        "signposting.psv",
    );
    refused(
        "force/grading-policy.psv",
        "rule|value|grade|reason\nrepeat_caller|lots|raise|r\n",
        "not 'lots'",
    );

    // A force's own line for a setting replaces the national default.
    let relaxed = with_extra(
        "force/force-settings.psv",
        "setting|value|meaning\nassessment_before_grading|optional|our pilot\n",
    )
    .unwrap();
    assert!(!relaxed.policy.assessment_before_grading);
    refused(
        "force/force-settings.psv",
        "setting|value|meaning\nassessment_before_grading|maybe|x\n",
        "required or optional",
    );
}

// The DASH thresholds and referrals are force data (force-settings.psv), cited there: the
// shipped file gives the SafeLives values, and a force's own line changes the decision.
#[test]
fn dash_scoring_and_referrals_come_from_the_force_settings() {
    use crate::assessment::{Answer, DashAnswers, DashRisk};
    let national = ReferenceData::load(&shipped()).unwrap();
    let dash = &national.policy.dash;
    assert_eq!((dash.high_yes, dash.medium_yes), (14, 10));
    assert_eq!(dash.escalation_incidents, 3);
    assert_eq!(dash.children_questions, [10, 26, 27]);
    assert_eq!(
        dash.children_qualifiers,
        ["CHILDREN_PRESENT", "CHILD_AT_RISK"]
    );
    assert_eq!(dash.children_referral, "CHILDRENS_SOCIAL_CARE");
    assert_eq!(dash.high_referrals, ["MARAC", "IDVA"]);
    assert_eq!(dash.other_referrals, ["DA_SUPPORT"]);
    assert_eq!(national.policy.repeat_victim_incidents, 3);

    let score = |data: &ReferenceData, yes: usize, child_question: Option<usize>| {
        let mut answers: Vec<Answer> = (0..27)
            .map(|i| if i < yes { Answer::Yes } else { Answer::No })
            .collect();
        if let Some(q) = child_question {
            answers[q - 1] = Answer::Yes;
        }
        DashAnswers {
            answers,
            professional_judgement: None,
            incidents_last_12_months: 0,
            children_present: false,
        }
        .assess(27, &data.policy.dash)
        .unwrap()
    };
    assert_eq!(score(&national, 12, None).risk, DashRisk::Medium);
    assert!(
        score(&national, 0, Some(26))
            .referrals
            .contains(&"CHILDRENS_SOCIAL_CARE".to_owned())
    );
    assert!(
        !score(&national, 0, Some(25))
            .referrals
            .contains(&"CHILDRENS_SOCIAL_CARE".to_owned())
    );

    let force = with_extra(
        "force/force-settings.psv",
        "setting|value|meaning\ndash_high_yes|12|ours\ndash_children_questions|25|ours\ndash_high_referrals|MARAC|ours\n",
    )
    .unwrap();
    let twelve = score(&force, 12, None);
    assert_eq!(twelve.risk, DashRisk::High, "{:?}", twelve.reasons);
    assert_eq!(twelve.referrals, ["MARAC"]);
    assert!(twelve.reasons[0].contains("12 or more is high risk"));
    assert!(
        score(&force, 0, Some(25))
            .referrals
            .contains(&"CHILDRENS_SOCIAL_CARE".to_owned())
    );

    for (line, words) in [
        ("dash_high_yes|many|x", "whole number"),
        ("dash_children_questions|99|x", "not a DASH question"),
        ("dash_children_referral|NOBODY|x", "agency NOBODY"),
        ("dash_children_qualifiers|BANANA|x", "qualifier BANANA"),
        ("attend_before_closing|soon|x", "soon"),
    ] {
        let text: &'static str =
            Box::leak(format!("setting|value|meaning\n{line}\n").into_boxed_str());
        let err = with_extra("force/force-settings.psv", text).unwrap_err();
        assert!(err.message.contains(words), "{line}: {err}");
    }
    let without: Vec<_> = shipped()
        .into_iter()
        .map(|f| {
            if f.name.ends_with("force-settings.psv") {
                SourceFile {
                    name: f.name,
                    text: "setting|value|meaning\nassessment_before_grading|required|x\n",
                }
            } else {
                f
            }
        })
        .collect();
    let err = ReferenceData::load(&without).unwrap_err();
    assert!(
        err.message.contains("repeat_victim_incidents is not set"),
        "{err}"
    );
}

/// The header comment of a shipped reference file.
fn header(name: &str) -> String {
    shipped()
        .into_iter()
        .find(|f| f.name.ends_with(name))
        .map(|f| {
            f.text
                .lines()
                .take_while(|l| l.starts_with('#'))
                .collect::<Vec<_>>()
                .join("\n")
        })
        .unwrap_or_default()
}

// Issue 12's vocabulary: each code a rule needs exists, under the right category, and the
// file it is in cites the published source it comes from. Deleting a row or its citation fails.
#[test]
fn the_first_contact_vocabulary_exists_with_its_published_sources() {
    let data = ReferenceData::load(&shipped()).unwrap();
    for (code, category) in [
        ("FIREARMS_LICENSING", "PUBLIC_SAFETY"),
        ("FIREARMS_SURRENDER", "PUBLIC_SAFETY"),
    ] {
        let found = data.incident_type(code).unwrap_or_else(|| panic!("{code}"));
        assert_eq!(found.category.as_str(), category, "{code}");
    }
    assert!(
        data.incident_type("FIREARMS_SURRENDER")
            .unwrap()
            .name
            .contains("not an armed incident")
    );
    assert!(
        !data.policy.rules.iter().any(|r| matches!(
            &r.when,
            Trigger::IncidentType(t) if t.as_str().starts_with("FIREARMS_L") || t.as_str() == "FIREARMS_SURRENDER"
        )),
        "a licensing enquiry or a surrender forces no armed response"
    );
    assert!(header("incident-types.psv").contains("National Standard for Incident Recording"));

    for code in ["ISVA", "SARC"] {
        assert!(data.agency(code).is_some(), "{code}");
    }
    let agencies = header("agencies.psv");
    assert!(agencies.contains("ISVA and SARC"), "{agencies}");
    assert!(agencies.contains("NHS England"), "{agencies}");

    for code in [
        "SUSPECTED_DOMESTIC",
        "CHILDREN_PRESENT",
        "SILENT_CALL",
        "THREAT_TO_LIFE",
        "IN_PROGRESS",
        "SUSPECT_ON_SCENE",
        "OFFENDER_DETAINED",
    ] {
        assert!(data.qualifier(code).is_some(), "{code}");
    }
    let qualifiers = header("qualifiers.psv");
    assert!(qualifiers.contains("ACPO National Call Handling Standards"));
    assert!(qualifiers.contains("Silent"));
    let policy = header("grading-policy.psv");
    assert!(policy.contains("College of Policing"));
    for fact in ["SUSPECTED_DOMESTIC", "CHILDREN_PRESENT", "SILENT_CALL"] {
        assert!(
            data.policy.rules.iter().any(|r| matches!(
                &r.when,
                Trigger::Qualifier(q) if q.as_str() == fact
            )),
            "{fact} has a grading rule"
        );
    }

    let traced = data
        .closing_code("ADMIN_ABANDONED_TRACED_SAFE")
        .expect("the abandoned-call-traced-safe closing code");
    assert_eq!(traced.category.as_str(), "ADMIN");
    assert!(header("closing-codes.psv").contains("NSIR"));
}

// offence-classifications.psv: every class has a maximum sentence the Principal Crime Rule
// can rank by, and a bad one names the line.
#[test]
fn maximum_sentences_are_read_and_checked() {
    let data = ReferenceData::load(&shipped()).unwrap();
    let of = |code: &str| data.offence(code).unwrap().max_sentence;
    assert_eq!(of("3B"), MaxSentence::Months(120));
    assert_eq!(of("105A"), MaxSentence::Months(6));
    assert_eq!(of("34A"), MaxSentence::Life);
    assert!(of("3B") > of("105A") && of("34A") > of("3B"));
    assert!(MaxSentence::Fine > MaxSentence::Unknown);
    assert!(data.offences.iter().all(|o| !o.statute.is_empty()));
    let header = "code|name|group|victim|seriousness|max_sentence|statute|sentence_checked\n";
    for (row, problem) in [
        (
            "ZZ1|x|y|person|1|ten years|s.1|verified\n",
            "not a maximum sentence",
        ),
        ("ZZ1|x|y|person|1|10y|s.1|checked\n", "not a sentence check"),
    ] {
        let text = format!("{header}{row}");
        let mut files = shipped();
        files.push(SourceFile {
            name: "force/offence-classifications.psv",
            text: &text,
        });
        let err = ReferenceData::load(&files).unwrap_err();
        assert!(err.message.contains(problem), "{err}");
    }
}

// principal-crime-table.psv (HOCR Annex C) is a force's to load: optional, and each line
// names a known class and a position from 1.
#[test]
fn the_annex_c_table_is_optional_and_checked() {
    let data = ReferenceData::load(&shipped()).unwrap();
    assert!(data.principal_crime_table.is_empty());
    for (text, problem) in [
        (
            "code|position|source\nZZ9|1|x\n",
            "not defined in offence-classifications",
        ),
        ("code|position|source\n3B|0|x\n", "not a position"),
    ] {
        let mut files = shipped();
        files.push(SourceFile {
            name: "force/principal-crime-table.psv",
            text,
        });
        let err = ReferenceData::load(&files).unwrap_err();
        assert!(err.message.contains(problem), "{err}");
    }
    let mut files = shipped();
    files.push(SourceFile {
        name: "force/principal-crime-table.psv",
        text: "code|position|source\n3B|2|Annex C line 40\n",
    });
    let data = ReferenceData::load(&files).unwrap();
    assert_eq!(
        data.principal_crime_position("3b").map(|e| e.position),
        Some(2)
    );
}
