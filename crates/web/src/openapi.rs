//! The OpenAPI document, generated from the handlers' annotations so it cannot drift from
//! the code.

use crate::dto;
use crate::error::Problem;
use crate::routes;
use axum::Json;
use utoipa::openapi::Required;
use utoipa::openapi::path::Operation;
use utoipa::openapi::path::{Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
use utoipa::{Modify, OpenApi, PartialSchema};

#[derive(OpenApi)]
#[openapi(
    info(title = "Control Room API", description = "Contact management, command and control for UK police control rooms."),
    components(schemas(Problem, dto::SessionView, dto::ChangeResponse, dto::IncidentView, dto::IncidentList, routes::live::LiveIncident)),
    modifiers(&BearerAuth),
)]
struct ApiDoc;

/// The whole document: the description above with every operation the router serves
/// (`routes::api`, one list for both), each answering its errors as problem+json. Built once.
pub fn openapi() -> &'static utoipa::openapi::OpenApi {
    static DOCUMENT: std::sync::LazyLock<utoipa::openapi::OpenApi> =
        std::sync::LazyLock::new(|| {
            let (_, operations) = routes::api().split_for_parts();
            let mut document = ApiDoc::openapi().merge_from(operations);
            ProblemResponses.modify(&mut document);
            SignedInOnly.modify(&mut document);
            PathParameters.modify(&mut document);
            document
        });
    &DOCUMENT
}

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

/// Every `{…}` segment of a path is one of a few kinds, each read by one extractor
/// (`extract.rs`) wherever it appears: documented here once rather than on each handler.
struct PathParameters;

fn path_parameter(name: &str) -> Option<Parameter> {
    let uuid = || {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Uuid)))
            .into()
    };
    let (schema, description) = match name {
        "id" => (uuid(), None),
        "referral" | "task" => (
            uuid(),
            Some("The client's own id for it (a UUID made when it is drafted or set)"),
        ),
        "team" => (
            String::schema(),
            Some("A team or department code of the directory (teams.psv), e.g. NPT_LS8"),
        ),
        "kind" => (routes::intelligence::RecordKind::schema(), None),
        "number" => (
            u32::schema(),
            Some("The marker's number on the record (1, 2, 3…)"),
        ),
        "username" => (String::schema(), None),
        _ => return None,
    };
    Some(
        ParameterBuilder::new()
            .name(name)
            .parameter_in(ParameterIn::Path)
            .required(Required::True)
            .description(description)
            .schema(Some(schema))
            .build(),
    )
}

impl Modify for PathParameters {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for (path, _, op) in operations(openapi) {
            let documented = op.parameters.as_deref().unwrap_or_default();
            let missing: Vec<RefOr<Parameter>> = path
                .split('/')
                .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
                .filter(|name| {
                    !documented
                        .iter()
                        .any(|p| matches!(p, RefOr::T(p) if p.name == *name))
                })
                .filter_map(|name| path_parameter(name).map(RefOr::T))
                .collect();
            if !missing.is_empty() {
                let parameters = op.parameters.get_or_insert_with(Vec::new);
                parameters.splice(0..0, missing);
            }
        }
    }
}

/// Every operation the access table does not make public takes the bearer token, unless its
/// annotation says otherwise (signing out works without a session too).
struct SignedInOnly;

impl Modify for SignedInOnly {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for (path, method, op) in operations(openapi) {
            if op.security.is_none()
                && crate::access::of(method, path) != Some(crate::access::Access::Public)
            {
                op.security = Some(vec![SecurityRequirement::new(
                    "bearer",
                    Vec::<String>::new(),
                )]);
            }
        }
    }
}

/// Every operation of the document, with its path and method.
fn operations(
    openapi: &mut utoipa::openapi::OpenApi,
) -> impl Iterator<Item = (&str, &'static str, &mut Operation)> {
    openapi.paths.paths.iter_mut().flat_map(|(path, item)| {
        [
            ("GET", &mut item.get),
            ("PUT", &mut item.put),
            ("POST", &mut item.post),
            ("DELETE", &mut item.delete),
            ("PATCH", &mut item.patch),
        ]
        .into_iter()
        .filter_map(move |(method, op)| Some((path.as_str(), method, op.as_mut()?)))
    })
}

/// Every error leaves as `application/problem+json` (see `error.rs`): say so on every
/// operation, for every answer it can give, so a client (or schemathesis) can rely on it.
struct ProblemResponses;

const PROBLEM_JSON: &str = "application/problem+json";

fn problem_response(description: &str) -> utoipa::openapi::Response {
    ResponseBuilder::new()
        .description(description)
        .content(
            PROBLEM_JSON,
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Problem")))
                .build(),
        )
        .build()
}

/// The errors an operation can answer with, given what it takes.
fn common_problems(
    op: &Operation,
    writes: bool,
    has_path_params: bool,
) -> Vec<(u16, &'static str)> {
    let mut statuses = vec![
        (
            400,
            "The request is malformed: an id that is not a UUID, JSON that does not parse",
        ),
        (401, "Not signed in, or the session has ended"),
        (403, "Signed in, but this role may not do this"),
        (422, "The input does not fit: `field` names what to fix"),
        (429, "Too many attempts: wait for `Retry-After` seconds"),
        (
            503,
            "The database is not answering; nothing was saved. Try again",
        ),
    ];
    if has_path_params || writes {
        statuses.push((404, "There is no such record"));
    }
    if writes {
        statuses.push((409, "The change conflicts with the record as it now stands"));
    }
    if op.request_body.is_some() {
        statuses.push((413, "The request body is too large"));
        statuses.push((415, "The request body is not `application/json`"));
    }
    statuses
}

impl Modify for ProblemResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for (path, method, op) in operations(openapi) {
            // Errors already documented with the Problem body: the media type is
            // problem+json, not the application/json utoipa writes by default.
            for (status, response) in op.responses.responses.iter_mut() {
                if !status.starts_with('4') && !status.starts_with('5') {
                    continue;
                }
                if let RefOr::T(response) = response
                    && let Some(content) = response.content.shift_remove("application/json")
                {
                    response.content.insert(PROBLEM_JSON.to_owned(), content);
                }
            }
            for (status, description) in common_problems(op, method != "GET", path.contains('{')) {
                op.responses
                    .responses
                    .entry(status.to_string())
                    .or_insert_with(|| RefOr::T(problem_response(description)));
            }
        }
    }
}

pub async fn document() -> Json<&'static utoipa::openapi::OpenApi> {
    Json(openapi())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every `{…}` in every path is documented as a parameter of each of its operations.
    #[test]
    fn every_path_segment_is_a_parameter() {
        let document = serde_json::to_value(openapi()).unwrap();
        for (path, item) in document["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                let documented: Vec<&str> = op["parameters"]
                    .as_array()
                    .map(|ps| ps.iter().filter_map(|p| p["name"].as_str()).collect())
                    .unwrap_or_default();
                for name in path
                    .split('/')
                    .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
                {
                    assert!(
                        documented.contains(&name),
                        "{method} {path}: {{{name}}} is not documented (see path_parameter)"
                    );
                }
            }
        }
    }

    /// Every `maxLength` the document advertises is one of the limits declared in the domain
    /// (`controlroom_domain::limits`): a length typed here that the server does not enforce, or
    /// a limit changed in one place only, fails.
    #[test]
    fn every_advertised_length_is_a_declared_limit() {
        let document = serde_json::to_value(openapi()).unwrap();
        let declared: Vec<usize> = controlroom_domain::limits::ALL
            .iter()
            .map(|(_, n)| *n)
            .collect();
        let mut found = Vec::new();
        fn walk(path: &str, value: &serde_json::Value, found: &mut Vec<(String, u64)>) {
            match value {
                serde_json::Value::Object(fields) => {
                    for (name, inner) in fields {
                        if name == "maxLength"
                            && let Some(n) = inner.as_u64()
                        {
                            found.push((path.to_owned(), n));
                        }
                        walk(&format!("{path}/{name}"), inner, found);
                    }
                }
                serde_json::Value::Array(items) => {
                    for (i, inner) in items.iter().enumerate() {
                        walk(&format!("{path}/{i}"), inner, found);
                    }
                }
                _ => {}
            }
        }
        walk("", &document, &mut found);
        assert!(found.len() >= 30, "lengths are advertised: {found:?}");
        for (path, n) in &found {
            assert!(
                declared.iter().any(|d| u64::try_from(*d).ok() == Some(*n)),
                "{path}: maxLength {n} is not a limit declared in controlroom_domain::limits"
            );
        }
        let length = |schema: &str, field: &str| {
            document["components"]["schemas"][schema]["properties"][field]["maxLength"].as_u64()
        };
        use controlroom_domain::limits;
        let n = |l: usize| u64::try_from(l).ok();
        assert_eq!(length("CreateContact", "summary"), n(limits::NARRATIVE));
        assert_eq!(length("CallerInput", "name"), n(limits::NAME));
        assert_eq!(length("CallerInput", "phone"), n(limits::PHONE));
        assert_eq!(length("LocationInput", "text"), n(limits::ADDRESS));
        assert_eq!(length("AddLogEntry", "text"), n(limits::NARRATIVE));
        assert_eq!(length("GradeIncident", "rationale"), n(limits::RATIONALE));
        assert_eq!(length("CheckInput", "name"), n(limits::SEARCH_NAME));
        assert_eq!(length("CheckInput", "phone"), n(limits::SEARCH_PHONE));
        assert_eq!(length("CheckInput", "location"), n(limits::SEARCH_LOCATION));
        assert_eq!(
            length("RecordInput", "modus_operandi"),
            n(limits::NARRATIVE)
        );
        assert_eq!(length("UnitInput", "call_sign"), n(limits::CALL_SIGN));
    }
}
