//! Every parser at the edge takes any text a caller, a handler or a file can send and either
//! gives a value or an `Invalid` naming the field: never a panic. Property tests over
//! arbitrary and near-valid text stand in for fuzz targets (they run offline in every
//! `cargo test`), and check that what parses is normalised for good (parsing it again gives
//! the same value).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use controlroom_domain::contact::PhoneNumber;
use controlroom_domain::hocr::{Case, count};
use controlroom_domain::incident::IncidentRef;
use controlroom_domain::pole::{E164, Postcode, Vrm};
use controlroom_domain::reference::{ReferenceData, SourceFile};
use controlroom_domain::text::Code;
use controlroom_domain::user::Username;
use proptest::prelude::*;

mod common;

/// Text a person might type, including the awkward: spaces, symbols, non-ASCII, long runs.
fn typed() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[ 0-9+()\\-]{0,30}",
        "[A-Za-z0-9 ]{0,12}",
        "\\PC{0,200}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn identifiers_and_codes_parse_or_name_the_field(raw in typed()) {
        if let Err(e) = Username::parse(&raw) { prop_assert!(!e.message.is_empty()); }
        if let Err(e) = IncidentRef::parse(&raw) { prop_assert!(!e.message.is_empty()); }
        match Code::parse("code", &raw) {
            Ok(code) => prop_assert_eq!(Code::parse("code", code.as_str()).unwrap(), code),
            Err(e) => prop_assert_eq!(e.field, "code"),
        }
    }

    #[test]
    fn phone_numbers_postcodes_and_registrations_normalise_once(raw in typed()) {
        if let Ok(phone) = E164::parse("phone", &raw) {
            prop_assert_eq!(E164::parse("phone", &phone.to_string()).unwrap(), phone);
        }
        if let Err(e) = PhoneNumber::parse("caller.phone", &raw) {
            prop_assert_eq!(e.field, "caller.phone");
        }
        if let Ok(postcode) = Postcode::parse("postcode", &raw) {
            prop_assert_eq!(Postcode::parse("postcode", postcode.as_str()).unwrap(), postcode);
        }
        if let Ok(vrm) = Vrm::parse("vrm", &raw) {
            prop_assert_eq!(Vrm::parse("vrm", vrm.as_str()).unwrap(), vrm);
        }
    }

    // A force's reference file with any content is loaded or refused with a message; the
    // national lists it extends are never corrupted by it.
    #[test]
    fn a_reference_file_of_any_content_is_loaded_or_refused(text in "\\PC{0,400}", header in any::<bool>()) {
        let text = if header { format!("code|name|category|needs\n{text}") } else { text };
        let mut files = common::shipped_files();
        files.push(SourceFile { name: "reference/closing-codes.psv", text: &text });
        match ReferenceData::load(&files) {
            Ok(data) => prop_assert!(data.offence("8N").is_some()),
            Err(e) => prop_assert!(!e.message.is_empty()),
        }
    }

    // A case file that parses as JSON but names things that are not there, or codes that do
    // not exist, gets an error that says which: never a panic, never a silent answer.
    #[test]
    fn malformed_counting_cases_are_refused_not_miscounted(
        class in prop_oneof![Just("8N".to_owned()), Just("ZZ9".to_owned()), "[0-9A-Z/]{1,5}"],
        victim in prop_oneof![Just(Some("V1".to_owned())), Just(Some("V9".to_owned())), Just(None)],
        report in prop_oneof![Just("R1".to_owned()), Just("R7".to_owned())],
        hour in 0u32..48,
    ) {
        let json = serde_json::json!({
            "id": "fuzz",
            "reports": [{"id": "R1", "at": "2026-01-02T00:00:00Z"}],
            "victims": [{"id": "V1", "kind": "person"}],
            "offenders": [],
            "offences": [{"id": "F1", "class": class, "victim": victim, "offenders": [],
                "at": format!("2026-01-0{}T{:02}:00:00Z", 1 + hour / 24, hour % 24),
                "place": "P1", "report": report}],
        });
        let case: Case = serde_json::from_value(json).unwrap();
        let reference = common::reference();
        match count(&case, &reference) {
            // One crime, or (a class Action Fraud records) not recorded, with the reason.
            Ok(counted) if counted.crimes.is_empty() => {
                prop_assert_eq!(counted.not_recorded.len(), 1);
                prop_assert_eq!(&counted.not_recorded[0].offence, "F1");
            }
            Ok(counted) => {
                prop_assert_eq!(counted.crimes.len(), 1);
                prop_assert_eq!(&counted.crimes[0].offences, &vec!["F1".to_owned()]);
            }
            Err(e) => prop_assert!(e.problem.contains("F1") || e.problem.contains("offence")),
        }
    }
}

/// A UK mobile as people write it: national or international, with the spaces, dashes,
/// brackets and "(0)" they put in.
fn written_mobile() -> impl Strategy<Value = (String, String)> {
    ("[0-9]{9}", 0usize..5).prop_map(|(rest, style)| {
        let e164 = format!("+447{rest}");
        let (a, b) = rest.split_at(3);
        let written = match style {
            0 => format!("07{a} {b}"),
            1 => format!("+44 7{a} {b}"),
            2 => format!("+44 (0)7{a}-{b}"),
            3 => format!("0044 7{rest}"),
            _ => format!("(07{a}) {b}"),
        };
        (written, e164)
    })
}

/// A postcode in standard form and as it might be typed (case, spacing).
fn typed_postcode() -> impl Strategy<Value = (String, String)> {
    (
        "[A-Z]{1,2}",
        1u8..=99,
        0u8..=9,
        "[ABD-HJLNP-UW-Z]{2}",
        0usize..4,
    )
        .prop_map(|(area, district, sector, unit, style)| {
            let outward = format!("{area}{district}");
            let standard = format!("{outward} {sector}{unit}");
            let typed = match style {
                0 => standard.clone(),
                1 => standard.to_lowercase(),
                2 => format!("{outward}{sector}{unit}"),
                _ => format!(
                    "  {}   {sector}{} ",
                    outward.to_lowercase(),
                    unit.to_lowercase()
                ),
            };
            (typed, standard)
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Values, not only "no panic": every way of writing the same number gives the same
    /// E.164 form, and that form reads back as itself.
    #[test]
    fn a_mobile_written_any_usual_way_is_one_number((written, e164) in written_mobile()) {
        let parsed = E164::parse("phone", &written).unwrap();
        prop_assert_eq!(parsed.as_str(), e164.as_str(), "{}", written);
        prop_assert_eq!(E164::parse("phone", parsed.as_str()).unwrap(), parsed);
    }

    /// A postcode typed in any case or spacing is stored in its standard form.
    #[test]
    fn a_postcode_typed_any_usual_way_is_one_postcode((typed, standard) in typed_postcode()) {
        let parsed = Postcode::parse("postcode", &typed).unwrap();
        prop_assert_eq!(parsed.as_str(), standard.as_str(), "{}", typed);
        prop_assert_eq!(Postcode::parse("postcode", parsed.as_str()).unwrap(), parsed);
    }

    /// A registration typed with spaces or in lower case is one registration.
    #[test]
    fn a_registration_typed_any_usual_way_is_one_registration(
        area in "[A-Z]{2}", age in 10u8..=75, letters in "[A-Z]{3}", spaced in any::<bool>(), lower in any::<bool>()
    ) {
        let standard = format!("{area}{age}{letters}");
        let mut typed = if spaced { format!("{area}{age} {letters}") } else { standard.clone() };
        if lower { typed = typed.to_lowercase(); }
        prop_assert_eq!(Vrm::parse("vrm", &typed).unwrap().to_string(), standard);
    }
}
