//! The gazetteer: `controlroom gazetteer import` as an operator runs it, on each backend, and
//! address search over HTTP after an import.

use crate::cli::{run, run_on};
use controlroom_testkit::{
    Backend, FreshDatabase, TestApp, both_backends, open_store, text, texts,
};
use reqwest::StatusCode;

fn fixture(name: &str) -> String {
    format!(
        "{}/../domain/tests/data/gazetteer/{name}",
        env!("CARGO_MANIFEST_DIR")
    )
}

async fn import(url: &str, format: &str, files: &[&str]) -> (i32, String, String) {
    let options = [&["--format", format][..], files].concat();
    run_on(&["gazetteer", "import"], url, &options, "").await
}

async fn import_reports_refusals_and_reimports_idempotently(backend: Backend) {
    let Some(db) = FreshDatabase::create(backend).await else {
        return;
    };
    let url = db.url.as_str();
    let abp = fixture("addressbase-plus.csv");
    let (code, out, err) = import(url, "addressbase-plus", &[&abp]).await;
    assert_eq!(code, 2, "refused rows make exit 2: {out}{err}");
    assert!(
        out.contains("8 rows read, 3 imported (new or changed), 0 already held, 1 left out, 4 refused; 2 streets rebuilt"),
        "{out}"
    );
    assert!(
        out.contains(&format!("refused {abp}:4: 'ABC123' is not a UPRN")),
        "{out}"
    );
    assert!(
        out.contains(&format!("refused {abp}:5: has 40 fields")),
        "{out}"
    );
    assert!(err.contains("100.0%"), "progress on stderr: {err}");
    assert!(err.contains("4 row(s) or file(s) refused"), "{err}");

    // Again: nothing new, nothing duplicated.
    let (code, out, _) = import(url, "addressbase-plus", &[&abp]).await;
    assert_eq!(code, 2);
    assert!(
        out.contains("0 imported (new or changed), 3 already held, 1 left out, 4 refused in"),
        "{out}"
    );
    assert!(!out.contains("moved"), "nothing moved: {out}");
    let store = open_store(url).await;
    let counts = store.gazetteer_counts().await.unwrap();
    assert_eq!(counts.addresses, 3);
    assert_eq!(counts.streets, 2, "by USRN, from the addresses");

    // OS Open UPRN moves a known address and adds positions; ONSPD and Open Names add
    // postcodes, streets and places.
    let (code, out, _) = import(url, "open-uprn", &[&fixture("open-uprn.csv")]).await;
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("3 imported"), "{out}");
    // The same point by grid reference and by latitude and longitude differs by centimetres:
    // rewritten, but not a move.
    assert!(!out.contains("moved"), "{out}");
    // A property does not move: the import says which UPRN did, from which line, and how far.
    let dir = tempfile::tempdir().unwrap();
    let moved = dir.path().join("moved.csv");
    std::fs::write(
        &moved,
        "UPRN,X_COORDINATE,Y_COORDINATE,LATITUDE,LONGITUDE\n72001240,433075.00,435902.00,,\n",
    )
    .unwrap();
    let moved = moved.to_str().unwrap();
    let (code, out, _) = import(url, "open-uprn", &[moved]).await;
    assert_eq!(code, 0, "a move is reported, not refused: {out}");
    assert!(out.contains("1 UPRN(s) moved more than 1 m"), "{out}");
    let line = out
        .lines()
        .find(|l| l.starts_with("moved "))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(
        line.starts_with(&format!("moved {moved}:2: UPRN 72001240 moved 10")),
        "file, line, UPRN and about 100 m: {line}"
    );
    assert!(line.contains("(was 53.818"), "{line}");
    let flat = store.gazetteer_address(72_001_234).await.unwrap().unwrap();
    assert_eq!(flat.single_line, "Flat 2, 10 Harehills Lane, Leeds LS8 3AA");
    assert_eq!((flat.lat, flat.lon), (53.818_250_2, -1.500_984_2));
    let (code, out, _) = import(
        url,
        "onspd",
        &[&fixture("onspd.csv"), &fixture("open-names.csv")],
    )
    .await;
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("open-names.csv:1: no header row"),
        "the wrong layout is named: {out}"
    );
    let (code, out, _) = import(url, "open-names", &[&fixture("open-names.csv")]).await;
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("4 imported"), "{out}");
    let counts = controlroom_store::GazetteerCounts {
        addresses: 5,
        streets: 3,
        places: 2,
        postcodes: 2,
    };
    assert_eq!(store.gazetteer_counts().await.unwrap(), counts);

    // An empty file, a missing one, an unknown format.
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.csv");
    std::fs::write(&empty, "").unwrap();
    let (code, out, _) = import(
        url,
        "open-uprn",
        &[empty.to_str().unwrap(), "/nonexistent/x.csv"],
    )
    .await;
    assert_eq!(code, 2);
    assert!(out.contains("empty.csv: holds no open-uprn rows"), "{out}");
    assert!(out.contains("/nonexistent/x.csv: cannot be read"), "{out}");
    // A file with no line breaks (a binary file, or 2 GB of one line) is never held in memory
    // as one line: refused by line, and the good rows around it kept.
    let long = dir.path().join("long.csv");
    let mut text = String::from("UPRN,X_COORDINATE,Y_COORDINATE,LATITUDE,LONGITUDE\n");
    text.push_str(&"9".repeat(3 * 1024 * 1024));
    text.push('\n');
    text.push_str("72001240,432975.00,435902.00,53.8183580,-1.5006190\n");
    std::fs::write(&long, text).unwrap();
    let (code, out, _) = import(url, "open-uprn", &[long.to_str().unwrap()]).await;
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains(&format!(
            "refused {}:2: is longer than 65536 bytes",
            long.display()
        )),
        "{out}"
    );
    assert!(
        out.contains("2 rows read"),
        "the row after it is read: {out}"
    );
    let (code, _, err) = import(url, "shapefile", &[&abp]).await;
    assert_eq!(code, 2);
    assert!(err.contains("invalid value 'shapefile'"), "{err}");

    // A file with no bad rows is exit 0; each run is one audit record, and the chain holds.
    let good = dir.path().join("good.csv");
    std::fs::write(
        &good,
        "UPRN,X_COORDINATE,Y_COORDINATE,LATITUDE,LONGITUDE\r\n72001240,432975.00,435902.00,53.8183580,-1.5006190\r\n",
    )
    .unwrap();
    let (code, out, err) = import(url, "open-uprn", &[good.to_str().unwrap()]).await;
    assert_eq!(code, 0, "{out}{err}");
    let records = store.audit_records(0, 1_000).await.unwrap();
    let runs: Vec<_> = records
        .iter()
        .filter(|r| r.record.kind == "gazetteer_imported")
        .collect();
    assert_eq!(
        runs.len(),
        9,
        "one record per run (the unknown format never started)"
    );
    assert!(
        runs[0].record.payload.contains("\"refused\":4"),
        "{}",
        runs[0].record.payload
    );
    store.close().await;
    let (code, out, err) = run(&["audit", "verify", "--database-url", url], "").await;
    assert_eq!(code, 0, "{out}{err}");
    db.drop_database().await;
}

async fn addresses_are_searched_as_you_type_and_each_search_is_audited(backend: Backend) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    let admin = controlroom_app::Actor::system();
    for (format, file) in [
        (
            controlroom_domain::gazetteer::import::Format::AddressBasePlus,
            "addressbase-plus.csv",
        ),
        (
            controlroom_domain::gazetteer::import::Format::OpenNames,
            "open-names.csv",
        ),
    ] {
        controlroom_app::gazetteer::import(
            &t.app,
            &admin,
            format,
            &[fixture(file).into()],
            &mut |_| {},
        )
        .await
        .unwrap();
    }
    let token = t.signed_in("handler", "contact_handler").await;
    let search = |q: &str| {
        let url = format!(
            "/api/v1/addresses?q={}",
            q.replace(' ', "%20").replace(',', "%2C")
        );
        let token = token.clone();
        let t = &t;
        async move { t.get(&url, Some(&token)).await }
    };
    let before = t.chain_head().await;
    let (status, body) = search("Flat 2, 10 harehills la").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let first = &body["suggestions"][0];
    assert_eq!(first["uprn"], "72001234", "{body}");
    assert_eq!(first["address"], "Flat 2, 10 Harehills Lane, Leeds LS8 3AA");
    assert_eq!(first["precision"]["kind"], "exact_address");
    assert_eq!(first["precision"]["label"], "exact address");
    assert!(first["lat"].as_f64().unwrap() > 53.8);
    assert!(
        texts(&first["reasons"]).contains(&"flat or unit Flat 2"),
        "{first}"
    );
    assert_eq!(
        t.chain_head().await,
        before + 1,
        "the search is in the audit trail"
    );

    let (_, body) = search("14 Harehils Lane ").await;
    assert_eq!(body["suggestions"][0]["uprn"], "72001240", "{body}");
    let (_, body) = search("roundhay park").await;
    assert_eq!(
        body["suggestions"][0]["precision"]["kind"], "named_place",
        "{body}"
    );
    let (_, body) = search("leeds city station").await;
    assert!(
        text(&body["suggestions"][0]["reasons"][0]).contains("also called 'Leeds City Station'"),
        "{body}"
    );
    let (_, body) = search("99 harehills lane").await;
    assert_eq!(
        body["suggestions"][0]["precision"]["kind"], "street",
        "{body}"
    );

    // The force adds its own places and the names its callers use, one of them to an Open
    // Names place (the same id: replaced, not doubled). Bad rows are refused, good ones kept.
    let report = controlroom_app::gazetteer::import(
        &t.app,
        &admin,
        controlroom_domain::gazetteer::import::Format::ForcePlaces,
        &[fixture("force-places.csv").into()],
        &mut |_| {},
    )
    .await
    .unwrap();
    assert_eq!(report.total(|f| f.imported), 2);
    assert_eq!(report.total(|f| f.refused), 4);
    let (_, body) = search("the co-op on roundhay rd").await;
    let first = &body["suggestions"][0];
    assert_eq!(first["key"], "wyp-coop-roundhay-rd", "{body}");
    assert!(
        text(&first["reasons"][0]).contains("also called 'the Co-op on Roundhay Road'"),
        "{body}"
    );
    let (_, body) = search("waterloo lake").await;
    assert_eq!(
        body["suggestions"][0]["key"], "osgb4000000024011562",
        "{body}"
    );
    let (_, body) = search("roundhay park").await;
    let parks = body["suggestions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["address"].as_str().unwrap().starts_with("Roundhay Park"))
        .count();
    assert_eq!(parks, 1, "one place, not two: {body}");

    let (status, body) = search("  ").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["field"], "q");
    // Without q: a problem naming the field, like every other bad query string.
    let (status, body) = t.get("/api/v1/addresses", Some(&token)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["field"], "q");
    let admin_token = t.signed_in("sysadmin", "admin").await;
    let (status, body) = t
        .get("/api/v1/addresses?q=harehills", Some(&admin_token))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    t.finish().await;
}

both_backends!(
    import_reports_refusals_and_reimports_idempotently,
    addresses_are_searched_as_you_type_and_each_search_is_audited,
);
