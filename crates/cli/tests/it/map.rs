//! The map: its settings (`GET /api/v1/map`), the gazetteer's streets drawn when no tiles are
//! configured (`GET /api/v1/map/streets`, on the demo gazetteer), and tiles served from an
//! MBTiles file (`GET /tiles/{z}/{x}/{y}`), with the Content-Security-Policy allowing images
//! from a force's tile server and nowhere else.

use controlroom_app::Settings;
use controlroom_app::map::MapSettings;
use controlroom_store::TileSource;
use controlroom_testkit::{Backend, TestApp, both_backends, header};
use reqwest::StatusCode;
use std::sync::Arc;

/// The smallest PNG there is (1×1, transparent): what a tile file holds is opaque bytes.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4,
    0x89, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x00, 0x01, 0x00, 0x00,
    0x05, 0x00, 0x01, 0x0D, 0x0A, 0x2D, 0xB4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE,
    0x42, 0x60, 0x82,
];

/// An MBTiles file with one tile, XYZ 2/1/0 (the north-west quarter's east half), stored as
/// MBTiles does in TMS order: row 3 of 4 at zoom 2.
async fn mbtiles(dir: &std::path::Path) -> std::path::PathBuf {
    use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
    let file = dir.join("force.mbtiles");
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(
            SqliteConnectOptions::new()
                .filename(&file)
                .create_if_missing(true),
        )
        .await
        .unwrap();
    for statement in [
        "CREATE TABLE metadata (name TEXT, value TEXT)",
        "CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data BLOB)",
        "CREATE UNIQUE INDEX tile_index ON tiles (zoom_level, tile_column, tile_row)",
        "INSERT INTO metadata VALUES ('format', 'png'), ('attribution', '© Test Force mapping')",
    ] {
        sqlx::query(statement).execute(&pool).await.unwrap();
    }
    sqlx::query("INSERT INTO tiles VALUES (2, 1, 3, $1)")
        .bind(PNG)
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    file
}

/// A server with these map settings and `user` (name and role) signed in: the app, their token
/// and the map settings the console is given. `None` when the backend is not configured here.
async fn serving_map(
    backend: Backend,
    map: MapSettings,
    (username, role): (&str, &str),
) -> Option<(TestApp, String, serde_json::Value)> {
    let settings = Settings {
        map,
        ..Settings::default()
    };
    let t = TestApp::spawn_with(backend, settings).await?;
    let token = t.signed_in(username, role).await;
    let (status, config) = t.get("/api/v1/map", Some(&token)).await;
    assert_eq!(status, StatusCode::OK, "{config}");
    Some((t, token, config))
}

async fn tiles_come_from_an_mbtiles_file_in_xyz_order(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let source = controlroom_store_sqlite::mbtiles::MbTiles::open(&mbtiles(dir.path()).await)
        .await
        .unwrap();
    assert_eq!(source.content_type(), "image/png");
    let map = MapSettings {
        tiles_file: Some(Arc::new(source)),
        ..MapSettings::default()
    };
    let Some((t, token, config)) = serving_map(backend, map, ("dispatcher", "dispatcher")).await
    else {
        return;
    };
    assert_eq!(config["tiles"], "/tiles/{z}/{x}/{y}");
    assert_eq!(
        config["attribution"], "© Test Force mapping",
        "the file's own"
    );

    for path in ["/tiles/2/1/0", "/tiles/2/1/0.png"] {
        let answer = t.get_response(path, Some(&token)).await;
        assert_eq!(answer.status(), StatusCode::OK, "{path}");
        let headers = answer.headers().clone();
        assert_eq!(headers["content-type"], "image/png");
        let cache = headers["cache-control"].to_str().unwrap();
        assert!(
            cache.contains("max-age=") && cache.contains("private"),
            "{cache}"
        );
        assert_eq!(answer.bytes().await.unwrap().as_ref(), PNG);
    }
    // The TMS row asked as if it were XYZ is another tile: not there.
    for missing in [
        "/tiles/2/1/3",
        "/tiles/3/0/0",
        "/tiles/2/9/0",
        "/tiles/x/1/0",
        "/tiles/40/0/0",
    ] {
        let answer = t.get_response(missing, Some(&token)).await;
        assert_eq!(answer.status(), StatusCode::NOT_FOUND, "{missing}");
    }
    // Tiles are for signed-in users.
    let answer = t.get_response("/tiles/2/1/0", None).await;
    assert_eq!(answer.status(), StatusCode::UNAUTHORIZED);
    // Images from this server only: no tile server was named.
    let signin = t.get_response("/signin", None).await;
    let csp = header(&signin, "content-security-policy");
    assert!(csp.contains("img-src 'self' data:;"), "{csp}");
    t.finish().await;
}

async fn a_tile_server_is_named_to_the_console_and_allowed_images(backend: Backend) {
    let map = MapSettings {
        tiles_url: Some("https://tiles.force.example/{z}/{x}/{y}.png".into()),
        attribution: Some("© Force mapping".into()),
        ..MapSettings::default()
    };
    let handler = ("handler", "contact_handler");
    let Some((t, token, config)) = serving_map(backend, map, handler).await else {
        return;
    };
    assert_eq!(
        config["tiles"],
        "https://tiles.force.example/{z}/{x}/{y}.png"
    );
    assert_eq!(config["attribution"], "© Force mapping");
    let (status, _) = t.get("/api/v1/map", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let answer = t.get_response("/signin", None).await;
    let csp = header(&answer, "content-security-policy");
    assert!(
        csp.contains("img-src 'self' data: https://tiles.force.example;"),
        "{csp}"
    );
    assert!(csp.contains("script-src 'self';"), "{csp}");
    // No tile file: nothing at /tiles.
    let answer = t.get_response("/tiles/2/1/0", Some(&token)).await;
    assert_eq!(answer.status(), StatusCode::NOT_FOUND);
    t.finish().await;
}

async fn with_no_tiles_the_gazetteer_streets_are_drawn(backend: Backend) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    controlroom_app::demo_gazetteer::seed(&t.app).await.unwrap();
    let token = t.signed_in("dispatcher", "dispatcher").await;
    let (status, config) = t.get("/api/v1/map", Some(&token)).await;
    assert_eq!(status, StatusCode::OK, "{config}");
    assert!(config["tiles"].is_null(), "{config}");

    // Around Harehills (LS8), where the demo force has streets.
    let (min_lat, min_lon, max_lat, max_lon) = (53.80, -1.54, 53.85, -1.48);
    let (status, body) = t
        .get(
            &format!(
                "/api/v1/map/streets?min_lat={min_lat}&min_lon={min_lon}&max_lat={max_lat}&max_lon={max_lon}"
            ),
            Some(&token),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let streets = body["streets"].as_array().unwrap();
    assert!(streets.len() >= 5, "streets in the box: {}", streets.len());
    assert!(streets.len() <= 400);
    for street in streets {
        assert!(!street["name"].as_str().unwrap().is_empty(), "{street}");
        let points = street["points"].as_array().unwrap();
        assert!((2..=24).contains(&points.len()), "{street}");
        // Every line meets the box (a street crossing its edge runs on past it a little).
        for p in points {
            let (lat, lon) = (p[0].as_f64().unwrap(), p[1].as_f64().unwrap());
            assert!(
                (min_lat - 0.02..=max_lat + 0.02).contains(&lat)
                    && (min_lon - 0.02..=max_lon + 0.02).contains(&lon),
                "{street}"
            );
        }
    }
    // A demo street is straight: its line runs one way from end to end, not back and forth.
    let first = streets[0]["points"].as_array().unwrap();
    let step = |i: usize| {
        (
            first[i + 1][0].as_f64().unwrap() - first[i][0].as_f64().unwrap(),
            first[i + 1][1].as_f64().unwrap() - first[i][1].as_f64().unwrap(),
        )
    };
    for i in 1..first.len() - 1 {
        let (a, b) = (step(0), step(i));
        assert!(a.0 * b.0 + a.1 * b.1 > 0.0, "one way along: {first:?}");
    }

    // Far from Leeds: nothing.
    let (status, body) = t
        .get(
            "/api/v1/map/streets?min_lat=51.4&min_lon=-0.2&max_lat=51.5&max_lon=-0.1",
            Some(&token),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["streets"].as_array().unwrap().len(), 0);

    // A box the wrong way round, too large, or missing a side is refused.
    for bad in [
        "min_lat=53.85&min_lon=-1.54&max_lat=53.80&max_lon=-1.48",
        "min_lat=53.0&min_lon=-2.0&max_lat=54.0&max_lon=-1.0",
        "min_lat=53.80&min_lon=-1.54&max_lat=53.85",
        "min_lat=north&min_lon=-1.54&max_lat=53.85&max_lon=-1.48",
    ] {
        let (status, body) = t
            .get(&format!("/api/v1/map/streets?{bad}"), Some(&token))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {body}");
    }
    let (status, _) = t
        .get(
            &format!(
                "/api/v1/map/streets?min_lat={min_lat}&min_lon={min_lon}&max_lat={max_lat}&max_lon={max_lon}"
            ),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    t.finish().await;
}

both_backends!(
    tiles_come_from_an_mbtiles_file_in_xyz_order,
    a_tile_server_is_named_to_the_console_and_allowed_images,
    with_no_tiles_the_gazetteer_streets_are_drawn,
);

/// A tile template that is not one, a tile file that is not there or not MBTiles, or both at
/// once: `serve` stops at once with exit 2 and says why.
#[tokio::test]
async fn serve_refuses_bad_map_tiles_settings() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("refused.db").display());
    let not_mbtiles = dir.path().join("not.mbtiles");
    std::fs::write(&not_mbtiles, b"not a database").unwrap();
    let not_mbtiles = not_mbtiles.display().to_string();
    let missing = dir.path().join("missing.mbtiles").display().to_string();
    for (args, expected) in [
        (
            vec!["--map-tiles", "ftp://tiles.example/{z}/{x}/{y}"],
            "https://",
        ),
        (
            vec!["--map-tiles", "https://tiles.example/{z}/{x}.png"],
            "{z}, {x} and {y}",
        ),
        (
            vec!["--map-tiles-file", missing.as_str()],
            "no map tiles file",
        ),
        (
            vec!["--map-tiles-file", not_mbtiles.as_str()],
            "not an MBTiles file",
        ),
        (
            vec![
                "--map-tiles",
                "https://tiles.example/{z}/{x}/{y}.png",
                "--map-tiles-file",
                missing.as_str(),
            ],
            "cannot be used with",
        ),
    ] {
        let all = crate::cli::serve_args(&url, &args);
        let (code, _, stderr) = crate::cli::run(&all, "").await;
        assert_eq!(code, 2, "{args:?}: {stderr}");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
    }
}
