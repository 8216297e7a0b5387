//! The browser console: pages built into the binary (no Node, no build step), each a body
//! fragment of its own with one ES module, served inside one server-side layout (head,
//! header, navigation, banners). A page that needs a permission is checked here, so a user
//! without it never receives the page at all, and the navigation offers only the pages the
//! user may open.

use crate::AppState;
use crate::extract::session_token;
use Access::{Needs, Public, SignedIn};
use Permission::{
    AttendScenes, DispatchUnits, Investigate, ManageUsers, ReviewCrimeRecording, SetTasks,
    SuperviseInvestigation, VerifyAuditTrail, ViewIncidents,
};
use axum::Router;
use axum::extract::{Path, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use controlroom_app::{Actor, auth};
use controlroom_domain::roles::{Permission, Role, list_in_words};

/// Who may open a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Access {
    /// Anyone: the sign-in page.
    Public,
    /// Any signed-in user; the data comes from the API, which checks each read.
    SignedIn,
    /// A signed-in user whose roles grant this.
    Needs(Permission),
}

/// One console page.
struct Page {
    /// The route.
    path: &'static str,
    /// In the tab's title, and in the header after "Control Room · ".
    title: &'static str,
    /// The header's heading instead of that (HTML), when the page wants its own.
    heading: Option<&'static str>,
    /// The page as a sentence names it: "The dispatch board is for …".
    called: &'static str,
    access: Access,
    /// The page's own body: everything between the layout's banners and `</body>`.
    body: &'static str,
    /// Its ES module, `/assets/<module>.js`.
    module: &'static str,
    /// The text of the link to it in the other pages' navigation (its id `<module>-link`).
    /// `None`: not linked.
    link: Option<&'static str>,
    /// Buttons of its own at the start of the navigation (raw HTML).
    tools: &'static str,
}

const SIGN_IN_PATH: &str = "/signin";
/// The button that opens a page's list of keys (`?` does too).
const SHORTCUTS: &str = r#"<button id="shortcuts-button" type="button" aria-haspopup="dialog" aria-keyshortcuts="Shift+?">Shortcuts</button>"#;
const CONSOLE_PATH: &str = "/console";
const ADMIN_PATH: &str = "/console/admin";

/// A page at `/console/<module>` whose body is `console/<module>.html` and module
/// `<module>.js`, with the layout's heading and no tools of its own.
macro_rules! page {
    ($module:literal, $title:literal, $called:literal, $access:expr, $link:expr) => {
        Page {
            path: concat!("/console/", $module),
            title: $title,
            heading: None,
            called: $called,
            access: $access,
            body: include_str!(concat!("../console/", $module, ".html")),
            module: $module,
            link: $link,
            tools: "",
        }
    };
}

/// Every console page. The navigation lists the linked ones in this order.
const PAGES: &[Page] = &[
    Page {
        path: SIGN_IN_PATH,
        ..page!("signin", "Sign in", "The sign-in page", Public, None)
    },
    Page {
        path: CONSOLE_PATH,
        heading: Some("Control Room"),
        tools: concat!(
            r#"<button id="new-call" type="button" aria-keyshortcuts="Alt+N" hidden>New call <kbd>Alt+N</kbd></button>"#,
            "\n    ",
            r#"<button id="shortcuts-button" type="button" aria-haspopup="dialog" aria-keyshortcuts="Shift+?">Shortcuts</button>"#,
        ),
        ..page!(
            "console",
            "Console",
            "The console",
            Needs(ViewIncidents),
            Some("Console")
        )
    },
    page!(
        "board",
        "Dispatch board",
        "The dispatch board",
        Needs(DispatchUnits),
        Some("Dispatch board")
    ),
    page!(
        "crimes",
        "Crime recording",
        "Crime recording",
        Needs(ReviewCrimeRecording),
        Some("Crime recording")
    ),
    // After the crime is recorded (issue 15): the investigator's work and a crime's
    // investigation and victim panels, the supervisor's reviews, the CSI team's queue.
    Page {
        tools: SHORTCUTS,
        ..page!(
            "investigations",
            "Investigations",
            "Investigations",
            Needs(Investigate),
            Some("Investigations")
        )
    },
    Page {
        tools: SHORTCUTS,
        ..page!(
            "reviews",
            "Investigation reviews",
            "Investigation reviews",
            Needs(SuperviseInvestigation),
            Some("Reviews")
        )
    },
    Page {
        tools: SHORTCUTS,
        ..page!(
            "scenes",
            "Scenes of crime",
            "The CSI queue",
            Needs(AttendScenes),
            Some("CSI queue")
        )
    },
    // Work out of the control room (issue 17): a team's tasks, arriving live, and for
    // supervisors what has escalated.
    Page {
        tools: SHORTCUTS,
        ..page!("tasks", "Tasks", "Tasks", Needs(SetTasks), Some("Tasks"))
    },
    page!(
        "supervisor",
        "Supervisor",
        "The supervisor's page",
        Needs(VerifyAuditTrail),
        Some("Supervisor view")
    ),
    page!(
        "admin",
        "Accounts",
        "The accounts page",
        Needs(ManageUsers),
        Some("Accounts")
    ),
    Page {
        path: "/console/records/{kind}/{id}",
        // The record page names the record once it has read it.
        heading: Some(r#"Control Room · <span id="record-title">Record</span>"#),
        ..page!("record", "Record", "A record's page", SignedIn, None)
    },
];

/// The refusal: which roles may use the page, and which the user holds.
const FORBIDDEN: &str = include_str!("../console/forbidden.html");

/// The console's own files, built into the binary (rust-embed; read from the build's copy in
/// every profile, so tests serve exactly what ships).
#[derive(rust_embed::Embed)]
#[folder = "console/"]
struct Files;

/// A static asset by name: (content type, bytes). Pages (`.html`) are never assets: each is
/// served by its own route, inside the layout, after the access check.
fn asset(name: &str) -> Option<(&'static str, std::borrow::Cow<'static, [u8]>)> {
    let content_type = match name.rsplit_once('.')?.1 {
        "js" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "svg" => "image/svg+xml",
        _ => return None,
    };
    Files::get(name).map(|file| (content_type, file.data))
}

pub fn router() -> Router<AppState> {
    let mut router = Router::new().route("/", get(|| async { Redirect::to(CONSOLE_PATH) }));
    for (index, page) in PAGES.iter().enumerate() {
        router = router.route(
            page.path,
            get(
                move |State(state): State<AppState>, parts: Parts| async move {
                    serve(&state, &parts, &PAGES[index]).await
                },
            ),
        );
    }
    router
        .route("/assets/{name}", get(assets))
        .route("/tiles/{z}/{x}/{y}", get(tile))
        // Browsers ask for /favicon.ico whatever the page says: the same icon.
        .route(
            "/favicon.ico",
            get(|| async { assets(Path("favicon.svg".to_owned())).await }),
        )
}

/// A map tile from the tile file (`serve --map-tiles-file`), for a signed-in user: `y` may
/// carry an extension (`12.png`). 404 when there is no such tile or no tile file.
async fn tile(
    State(state): State<AppState>,
    Path((z, x, y)): Path<(String, String, String)>,
    parts: Parts,
) -> Response {
    let Some(token) = session_token(&parts) else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    if auth::authenticate(&state.app, &token).await.is_err() {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let missing = || (StatusCode::NOT_FOUND, "no such map tile").into_response();
    let Some(source) = state.app.settings.map.tiles_file.as_ref() else {
        return missing();
    };
    let y = y.split_once('.').map_or(y.as_str(), |(y, _)| y);
    let (Ok(z), Ok(x), Ok(y)) = (z.parse::<u8>(), x.parse::<u32>(), y.parse::<u32>()) else {
        return missing();
    };
    match source.tile(z, x, y).await {
        Ok(Some(bytes)) => (
            [
                (header::CONTENT_TYPE, source.content_type().to_owned()),
                // Tiles change only when the file is replaced: a day in the browser's own cache.
                (header::CACHE_CONTROL, "private, max-age=86400".to_owned()),
            ],
            bytes,
        )
            .into_response(),
        Ok(None) => missing(),
        Err(e) => {
            tracing::warn!(error = %e, "a map tile could not be read");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "the map tiles could not be read",
            )
                .into_response()
        }
    }
}

/// The signed-in user, or where to send them instead.
async fn signed_in(state: &AppState, parts: &Parts) -> Result<Actor, Response> {
    let Some(token) = session_token(parts) else {
        return Err(Redirect::to(SIGN_IN_PATH).into_response());
    };
    auth::authenticate(&state.app, &token)
        .await
        .map_err(|_| Redirect::to("/signin?expired=1").into_response())
}

/// Any page: to sign in when there is no session, the refusal when the user's roles do not
/// grant the page, else the page in the layout.
async fn serve(state: &AppState, parts: &Parts, page: &'static Page) -> Response {
    if page.access == Access::Public {
        return Html(render(page, None)).into_response();
    }
    let actor = match signed_in(state, parts).await {
        Ok(actor) => actor,
        Err(redirect) => return redirect,
    };
    match page.access {
        // The administrator manages accounts and reads no incidents: their console is the
        // accounts page.
        Access::Needs(permission)
            if !actor.roles.may(permission)
                && page.path == CONSOLE_PATH
                && actor.roles.may(Permission::ManageUsers) =>
        {
            Redirect::to(ADMIN_PATH).into_response()
        }
        Access::Needs(permission) if !actor.roles.may(permission) => (
            StatusCode::FORBIDDEN,
            Html(forbidden(&actor, &Role::allowed(permission), page.called)),
        )
            .into_response(),
        _ => Html(render(page, Some(&actor))).into_response(),
    }
}

/// Whether `actor` may open `page`.
fn may_open(actor: &Actor, page: &Page) -> bool {
    match page.access {
        Access::Public | Access::SignedIn => true,
        Access::Needs(permission) => actor.roles.may(permission),
    }
}

/// The layout around a page's body: for a signed-in user, the header (title, clock, who is
/// signed in, the page's own tools, links to the other pages they may open, theme and
/// sign-out) and the session-warning and status banners; the sign-in page stands alone.
fn render(page: &Page, actor: Option<&Actor>) -> String {
    let chrome = match actor {
        None => String::new(),
        Some(actor) => {
            let links: String = PAGES
                .iter()
                .filter(|other| other.path != page.path && may_open(actor, other))
                .filter_map(|other| {
                    other.link.map(|text| {
                        format!(
                            "\n    <a id=\"{}-link\" href=\"{}\">{text}</a>",
                            other.module, other.path
                        )
                    })
                })
                .collect();
            let heading = page
                .heading
                .map_or_else(|| format!("Control Room · {}", page.title), str::to_owned);
            let tools = if page.tools.is_empty() {
                String::new()
            } else {
                format!("\n    {}", page.tools)
            };
            format!(
                r#"
<header class="topbar">
  <h1>{heading}</h1>
  <span id="clock" class="clock" aria-label="Time now"></span>
  <nav aria-label="{title}">
    <span id="whoami"></span>{tools}{links}
    <button id="theme-toggle" type="button">Light theme</button>
    <button id="sign-out" type="button">Sign out</button>
  </nav>
</header>
<div id="session-warning" class="banner warning" role="alert" hidden></div>
<div id="status" class="banner" role="status" aria-live="polite" hidden></div>
"#,
                title = page.title,
            )
        }
    };
    let body_class = if actor.is_none() {
        r#" class="signin-page""#
    } else {
        ""
    };
    document(
        page.title,
        body_class,
        &format!("{chrome}{}", page.body),
        Some(page.module),
    )
}

/// The HTML document: head (icon, style sheet, the page's module) and body.
fn document(title: &str, body_class: &str, body: &str, module: Option<&str>) -> String {
    let script = module
        .map(|m| format!("\n  <script type=\"module\" src=\"/assets/{m}.js\"></script>"))
        .unwrap_or_default();
    format!(
        r#"<!doctype html>
<html lang="en-GB" data-theme="dark">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{title} · Control Room</title>
  <link rel="icon" href="/assets/favicon.svg" type="image/svg+xml">
  <link rel="stylesheet" href="/assets/console.css">{script}
</head>
<body{body_class}>
{body}</body>
</html>
"#,
        title = escape(title),
    )
}

/// The refusal page: which roles may use the page, and which the user holds.
fn forbidden(actor: &Actor, allowed: &[Role], page: &str) -> String {
    let plural = |role: Role| match role {
        Role::Admin => "administrators".to_owned(),
        other => format!("{}s", other.label()),
    };
    let allowed: Vec<String> = allowed.iter().map(|r| plural(*r)).collect();
    let body = FORBIDDEN
        .replace("{{page}}", &escape(page))
        .replace(
            "{{allowed}}",
            &escape(&list_in_words(allowed.iter().map(String::as_str))),
        )
        .replace("{{username}}", &escape(actor.username.as_str()))
        .replace("{{roles}}", &escape(&actor.roles.label()));
    document(
        "Not available to your role",
        r#" class="signin-page""#,
        &body,
        None,
    )
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

async fn assets(Path(name): Path<String>) -> Response {
    match asset(&name) {
        Some((content_type, body)) => (
            [
                (header::CONTENT_TYPE, content_type),
                (header::CACHE_CONTROL, "no-cache"),
            ],
            body,
        )
            .into_response(),
        None => crate::routes::not_found().await.into_response(),
    }
}

/// Bytes of the call-card page and everything it loads: the figure in docs/PERFORMANCE.md
/// (the page as a contact handler is served it, `console.css`, `common.js` and `console.js`).
pub fn call_card_weight() -> usize {
    let handler = controlroom_domain::user::Username::parse("handler")
        .ok()
        .map(|name| {
            Actor::new(
                name,
                controlroom_domain::roles::Roles::one(Role::ContactHandler),
            )
        });
    let page = PAGES
        .iter()
        .find(|p| p.path == CONSOLE_PATH)
        .map_or(0, |p| render(p, handler.as_ref()).len());
    page + ["console.css", "common.js", "console.js"]
        .iter()
        .filter_map(|name| asset(name))
        .map(|(_, body)| body.len())
        .sum::<usize>()
}

#[cfg(test)]
mod tests {
    use super::*;
    use controlroom_domain::roles::Roles;
    use controlroom_domain::user::Username;

    fn actor(name: &str, roles: &[&str]) -> Actor {
        Actor::new(Username::parse(name).unwrap(), Roles::parse(roles).unwrap())
    }

    #[test]
    fn every_page_is_its_body_in_the_layout_with_its_own_module() {
        // A supervisor and administrator may open every page.
        let everyone = actor("chief", &["supervisor,admin"]);
        for page in PAGES {
            assert!(may_open(&everyone, page), "{}", page.path);
            let signed_in = page.access != Access::Public;
            let html = render(page, signed_in.then_some(&everyone));
            assert!(html.starts_with("<!doctype html>"), "{}", page.path);
            assert!(
                html.contains(&format!("<title>{} · Control Room</title>", page.title)),
                "{}",
                page.path
            );
            assert!(html.contains(r#"<link rel="stylesheet" href="/assets/console.css">"#));
            assert!(
                html.contains(&format!(
                    r#"<script type="module" src="/assets/{}.js"></script>"#,
                    page.module
                )),
                "{}",
                page.path
            );
            // One script, a module; nothing inline (the CSP allows only our own files).
            assert_eq!(html.matches("<script").count(), 1, "{}", page.path);
            assert!(html.contains(page.body), "{}", page.path);
            assert!(!page.body.contains("<head"), "{}: a fragment", page.path);
            assert!(!page.body.contains("<script"), "{}: a fragment", page.path);
            assert!(!html.contains("{{"), "{}", page.path);
            if signed_in {
                for id in [
                    "whoami",
                    "clock",
                    "theme-toggle",
                    "sign-out",
                    "status",
                    "session-warning",
                ] {
                    assert_eq!(
                        html.matches(&format!(r#"id="{id}""#)).count(),
                        1,
                        "{}: #{id}",
                        page.path
                    );
                }
                assert!(html.contains(r#"<header class="topbar">"#), "{}", page.path);
                // No page links to itself.
                if page.link.is_some() {
                    let id = format!(r#"id="{}-link""#, page.module);
                    assert!(!html.contains(&id), "{}", page.path);
                }
            } else {
                assert!(html.contains(r#"<body class="signin-page">"#));
                assert!(!html.contains("topbar"));
            }
        }
    }

    #[test]
    fn the_navigation_offers_only_the_pages_the_user_may_open() {
        let console = PAGES.iter().find(|p| p.path == CONSOLE_PATH).unwrap();
        let operator = render(
            console,
            Some(&actor("operator", &["contact_handler,crime_recorder"])),
        );
        assert!(
            operator.contains(r#"<a id="crimes-link" href="/console/crimes">Crime recording</a>"#)
        );
        assert!(
            operator.contains(r#"id="board-link""#),
            "a contact handler dispatches"
        );
        assert!(!operator.contains(r#"id="supervisor-link""#));
        assert!(!operator.contains(r#"id="admin-link""#));
        let admin_page = PAGES.iter().find(|p| p.path == ADMIN_PATH).unwrap();
        let admin = render(admin_page, Some(&actor("admin", &["admin"])));
        assert!(admin.contains(r#"id="supervisor-link""#));
        assert!(
            !admin.contains(r#"id="console-link""#),
            "no incidents for an administrator"
        );
        assert!(!admin.contains(r#"id="crimes-link""#));
    }

    #[test]
    fn a_refused_page_says_who_may_use_it() {
        let actor = Actor::new(
            Username::parse("recorder").unwrap(),
            Roles::one(Role::CrimeRecorder),
        );
        let page = forbidden(
            &actor,
            &Role::allowed(Permission::DispatchUnits),
            "The dispatch board",
        );
        assert!(page.starts_with("<!doctype html>"), "{page}");
        for said in [
            "The dispatch board is for contact handlers, dispatchers and supervisors.",
            "signed in as recorder (crime recorder)",
        ] {
            assert!(page.contains(said), "{said:?} in {page}");
        }
        // No placeholder left unfilled, and nothing runs on a refusal.
        for absent in ["{{", "<script"] {
            assert!(!page.contains(absent), "{absent:?} in {page}");
        }
    }
}
