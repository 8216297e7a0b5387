//! The map: where its tiles come from, and the gazetteer's streets to draw when there are
//! none. Tiles from a file this server reads are served at `/tiles/{z}/{x}/{y}` (see
//! `console.rs`), beside the console's own files.

use super::Answer;
use crate::extract::{ApiQuery, Caller};
use axum::Json;
use controlroom_app::map;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Serialize, ToSchema)]
pub struct MapConfig {
    /// The XYZ tile template the console asks tiles from: `/tiles/{z}/{x}/{y}` (a tile file
    /// this server serves), a tile server's `https://…/{z}/{x}/{y}.png`, or null when none is
    /// configured (the console draws the gazetteer's streets from `/api/v1/map/streets`).
    pub tiles: Option<String>,
    /// Credit for the tiles, shown on the map.
    pub attribution: Option<String>,
    /// Largest span, in degrees each way, `/api/v1/map/streets` answers for.
    pub streets_max_span: f64,
}

/// Where the map's tiles come from.
#[utoipa::path(get, path = "/api/v1/map", tag = "map",
    responses((status = 200, body = MapConfig)))]
pub async fn config(c: Caller) -> Json<MapConfig> {
    let settings = &c.app().settings.map;
    Json(MapConfig {
        tiles: settings.template(),
        attribution: settings.attribution(),
        streets_max_span: map::MAX_SPAN_DEGREES,
    })
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct StreetParams {
    /// The box's south edge (WGS84 degrees).
    pub min_lat: f64,
    /// The box's west edge.
    pub min_lon: f64,
    /// The box's north edge; at most 0.5 degrees north of `min_lat`.
    pub max_lat: f64,
    /// The box's east edge; at most 0.5 degrees east of `min_lon`.
    pub max_lon: f64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StreetLineView {
    pub id: String,
    pub name: String,
    /// `[lat, lon]` pairs from one end of the street to the other, through its addresses.
    pub points: Vec<[f64; 2]>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StreetMapView {
    /// The longest streets first, at most 400.
    pub streets: Vec<StreetLineView>,
    /// More streets lie in the box than were answered: zoom in for the rest.
    pub truncated: bool,
}

/// The gazetteer's streets in a box, each a line through its addresses: the map with no
/// tiles configured.
#[utoipa::path(get, path = "/api/v1/map/streets", tag = "map", params(StreetParams),
    responses((status = 200, body = StreetMapView)))]
pub async fn streets(c: Caller, ApiQuery(params): ApiQuery<StreetParams>) -> Answer<StreetMapView> {
    let found = map::streets(
        c.app(),
        &c.actor,
        (
            params.min_lat,
            params.min_lon,
            params.max_lat,
            params.max_lon,
        ),
    )
    .await?;
    Ok(Json(StreetMapView {
        streets: found
            .streets
            .into_iter()
            .map(|s| StreetLineView {
                id: s.id,
                name: s.name,
                points: s.points.into_iter().map(|(lat, lon)| [lat, lon]).collect(),
            })
            .collect(),
        truncated: found.truncated,
    }))
}
