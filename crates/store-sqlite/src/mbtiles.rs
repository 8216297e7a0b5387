//! Map tiles from an MBTiles file (an SQLite database of tile images, the format tile tools
//! write): read-only, for `controlroom serve --map-tiles-file`. MBTiles keeps rows in the TMS
//! scheme, counting rows up from the south, so the XYZ `y` asked for is flipped.

use async_trait::async_trait;
use controlroom_store::{StoreError, StoreResult, TileSource};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use sqlx::{Row, SqlitePool};
use std::path::Path;

#[derive(Debug)]
pub struct MbTiles {
    pool: SqlitePool,
    content_type: &'static str,
    attribution: Option<String>,
}

fn db_error(e: sqlx::Error) -> StoreError {
    StoreError::Unavailable(format!("the map tiles file could not be read: {e}"))
}

impl MbTiles {
    /// Open `file` read-only and check it is an MBTiles file (it has a `tiles` table).
    pub async fn open(file: &Path) -> StoreResult<Self> {
        if !file.is_file() {
            return Err(StoreError::Unavailable(format!(
                "no map tiles file at {}",
                file.display()
            )));
        }
        let options = SqliteConnectOptions::new()
            .filename(file)
            .read_only(true)
            .immutable(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await
            .map_err(db_error)?;
        sqlx::query("SELECT zoom_level, tile_column, tile_row, tile_data FROM tiles LIMIT 0")
            .fetch_all(&pool)
            .await
            .map_err(|e| {
                StoreError::Unavailable(format!(
                    "{} is not an MBTiles file (no tiles table: {e})",
                    file.display()
                ))
            })?;
        let metadata = |name: &'static str| {
            let pool = pool.clone();
            async move {
                sqlx::query("SELECT value FROM metadata WHERE name = $1")
                    .bind(name)
                    .fetch_optional(&pool)
                    .await
                    .ok()
                    .flatten()
                    .and_then(|r| r.try_get::<String, _>("value").ok())
            }
        };
        let content_type = match metadata("format").await.as_deref() {
            Some("jpg" | "jpeg") => "image/jpeg",
            Some("webp") => "image/webp",
            Some("pbf") => "application/x-protobuf",
            _ => "image/png",
        };
        let attribution = metadata("attribution")
            .await
            .filter(|a| !a.trim().is_empty());
        Ok(Self {
            pool,
            content_type,
            attribution,
        })
    }
}

#[async_trait]
impl TileSource for MbTiles {
    async fn tile(&self, z: u8, x: u32, y: u32) -> StoreResult<Option<Vec<u8>>> {
        if z > 30 || u64::from(x) >= 1u64 << z || u64::from(y) >= 1u64 << z {
            return Ok(None);
        }
        let row = (1i64 << z) - 1 - i64::from(y);
        let found = sqlx::query(
            "SELECT tile_data FROM tiles WHERE zoom_level = $1 AND tile_column = $2 AND tile_row = $3",
        )
        .bind(i64::from(z))
        .bind(i64::from(x))
        .bind(row)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_error)?;
        found
            .map(|r| r.try_get::<Vec<u8>, _>("tile_data"))
            .transpose()
            .map_err(db_error)
    }

    fn content_type(&self) -> &str {
        self.content_type
    }

    fn attribution(&self) -> Option<&str> {
        self.attribution.as_deref()
    }
}
