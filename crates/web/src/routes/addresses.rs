//! Address search as the handler types: gazetteer addresses, streets, named places and
//! postcodes, best first, each with its position, precision and why it matched.

use super::Answer;
use crate::dto::PrecisionView;
use crate::error::ApiError;
use crate::extract::{ApiQuery, Caller};
use axum::Json;
use controlroom_app::gazetteer;
use controlroom_domain::contact::Coordinates;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AddressParams {
    /// What has been typed so far: "14 harehills la", "Flat 2, 10 Harehills Lane", "LS8 3",
    /// "roundhay park". The last word counts as the start of a word unless followed by a space.
    pub q: String,
    /// Suggestions wanted (1 to 50, default 10).
    #[param(minimum = 1, maximum = 50)]
    pub limit: Option<u8>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AddressSuggestion {
    /// `address`, `street`, `place` or `postcode`.
    pub kind: String,
    /// The UPRN, for an address.
    pub uprn: Option<String>,
    /// The street or place identifier, or the postcode.
    pub key: String,
    pub address: String,
    pub lat: f64,
    pub lon: f64,
    pub precision: PrecisionView,
    /// 0 to 1: how well it matches what was typed.
    pub score: f64,
    /// Why it matched: "house number 14", "'harehils' read as 'harehills'", "postcode LS8 3AA".
    pub reasons: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AddressSuggestions {
    pub suggestions: Vec<AddressSuggestion>,
}

/// Search the gazetteer as you type. Every search is recorded in the audit trail.
#[utoipa::path(get, path = "/api/v1/addresses", tag = "gazetteer", params(AddressParams),
    responses((status = 200, body = AddressSuggestions)))]
pub async fn search(
    c: Caller,
    ApiQuery(params): ApiQuery<AddressParams>,
) -> Answer<AddressSuggestions> {
    let limit = usize::from(params.limit.unwrap_or(10));
    let found = gazetteer::search(c.app(), &c.actor, &params.q, limit).await?;
    Ok(Json(AddressSuggestions {
        suggestions: found.into_iter().map(suggestion).collect(),
    }))
}

fn suggestion(s: gazetteer::Suggestion) -> AddressSuggestion {
    AddressSuggestion {
        kind: s.kind,
        uprn: s.uprn.map(|u| u.to_string()),
        key: s.key,
        address: s.address,
        lat: s.lat,
        lon: s.lon,
        precision: s.precision.into(),
        score: s.score,
        reasons: s.reasons,
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct NearParams {
    /// WGS84 latitude of the centre (a handset location).
    pub lat: f64,
    /// WGS84 longitude of the centre.
    pub lon: f64,
    /// The circle's radius in metres (1 to 2,000).
    pub radius_metres: f64,
    /// Addresses wanted (1 to 50, default 20).
    #[param(minimum = 1, maximum = 50)]
    pub limit: Option<u8>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NearbyAddress {
    #[serde(flatten)]
    pub address: AddressSuggestion,
    /// From the centre, in metres.
    pub metres: f64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NearbyAddresses {
    pub addresses: Vec<NearbyAddress>,
}

/// The addresses inside a circle, nearest first: what a caller's handset location could be.
/// Recorded in the audit trail as a search is.
#[utoipa::path(get, path = "/api/v1/addresses/near", tag = "gazetteer", params(NearParams),
    responses((status = 200, body = NearbyAddresses)))]
pub async fn near(c: Caller, ApiQuery(params): ApiQuery<NearParams>) -> Answer<NearbyAddresses> {
    let centre = Coordinates::parse(params.lat, params.lon)
        .map_err(|e| ApiError::invalid(&e.field.replace("location.", ""), e.message))?;
    let limit = usize::from(params.limit.unwrap_or(20));
    let found = gazetteer::near(c.app(), &c.actor, centre, params.radius_metres, limit).await?;
    Ok(Json(NearbyAddresses {
        addresses: found
            .into_iter()
            .map(|n| NearbyAddress {
                metres: n.metres,
                address: suggestion(n.address),
            })
            .collect(),
    }))
}
