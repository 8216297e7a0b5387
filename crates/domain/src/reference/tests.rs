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
    let err = with_extra(
        "force/incident-types.psv",
        "# ours\ncode|name|category\nMISSING_PERSON|Missing|PUBLIC_SAFETY\n",
    )
    .unwrap_err();
    assert_eq!(
        (err.file.as_str(), err.line),
        ("force/incident-types.psv", 3)
    );
    assert!(
        err.message.contains("duplicate code MISSING_PERSON"),
        "{err}"
    );
    assert!(
        err.message.contains("reference/incident-types.psv:"),
        "{err}"
    );
}

#[test]
fn a_missing_category_is_named() {
    let err = with_extra(
        "force/incident-types.psv",
        "code|name|category\nX_TYPE|Something|NOT_A_CATEGORY\n",
    )
    .unwrap_err();
    assert_eq!(
        (err.file.as_str(), err.line),
        ("force/incident-types.psv", 2)
    );
    assert!(
        err.message
            .contains("category NOT_A_CATEGORY is not defined"),
        "{err}"
    );
    let err = with_extra(
        "force/closing-codes.psv",
        "code|name|category|needs\nZZ|Z|NOWHERE|\n",
    )
    .unwrap_err();
    assert!(err.message.contains("category NOWHERE"), "{err}");
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
    let err = with_extra(
        "force/grading-policy.psv",
        "rule|value|grade|reason\nqualifier|KNIFE|urgent|x\n",
    )
    .unwrap_err();
    assert!(err.message.contains("'urgent' is not a grade"), "{err}");
    let err = with_extra(
        "force/grading-policy.psv",
        "rule|value|grade|reason\ntarget|urban|emergency|fifteen\n",
    )
    .unwrap_err();
    assert!(err.message.contains("positive whole number"), "{err}");
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
    let err = with_extra(
        "force/qualifiers.psv",
        "code|name|description\nbad code!|x|y\n",
    )
    .unwrap_err();
    assert!(err.message.contains("not a valid code"), "{err}");
    let err = with_extra(
        "force/agencies.psv",
        "code|name|when_to_use|contact\nX||when|c\n",
    )
    .unwrap_err();
    assert!(err.message.contains("the name is empty"), "{err}");
    let err = with_extra("force/odd.psv", "a|b\n").unwrap_err();
    assert!(err.message.contains("unknown reference file"), "{err}");
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

    let err = with_extra(
        "force/question-sets.psv",
        "incident_type|fact|question\nCRIME_THEFT|BANANA|Is it a banana?\n",
    )
    .unwrap_err();
    assert_eq!(
        (err.file.as_str(), err.line),
        ("force/question-sets.psv", 2)
    );
    assert!(err.message.contains("fact BANANA is not defined"), "{err}");
    let err = with_extra(
        "force/signposting.psv",
        "incident_type|agency|unless|reason\nALARM|DOG_WARDEN|THREAT_TO_LIFE,sometimes|r\n",
    )
    .unwrap_err();
    assert!(err.message.contains("'sometimes' in unless"), "{err}");
    let err = with_extra(
        "force/signposting.psv",
        "incident_type|agency|unless|reason\nLOST_FOUND_PROPERTY|HIGHWAYS||again\n",
    )
    .unwrap_err();
    assert!(err.message.contains("a second signposting rule"), "{err}");
    let err = with_extra(
        "force/grading-policy.psv",
        "rule|value|grade|reason\nsignpost|ANIMALS|signposted|old style\n",
    )
    .unwrap_err();
    assert!(err.message.contains("signposting.psv"), "{err}");
    let err = with_extra(
        "force/grading-policy.psv",
        "rule|value|grade|reason\nrepeat_caller|lots|raise|r\n",
    )
    .unwrap_err();
    assert!(err.message.contains("not 'lots'"), "{err}");

    // A force's own line for a setting replaces the national default.
    let relaxed = with_extra(
        "force/force-settings.psv",
        "setting|value|meaning\nassessment_before_grading|optional|our pilot\n",
    )
    .unwrap();
    assert!(!relaxed.policy.assessment_before_grading);
    let err = with_extra(
        "force/force-settings.psv",
        "setting|value|meaning\nassessment_before_grading|maybe|x\n",
    )
    .unwrap_err();
    assert!(err.message.contains("required or optional"), "{err}");
}
