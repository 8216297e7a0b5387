//! The schema, one list for both databases. Each migration is one file in `migrations/`,
//! written once: what differs between SQLite and PostgreSQL is marked in place, so the parts
//! that are the same are never copied.
//!
//! - `{{BIGINT}}` is a 64-bit integer column (`INTEGER` on SQLite, `BIGINT` on PostgreSQL);
//! - a line starting `--@sqlite ` or `--@postgres ` belongs to that database only (triggers,
//!   identity columns and functions are written differently).
//!
//! The text each database runs is exactly what its own migration files held before they were
//! merged, so databases migrated by earlier versions still match their recorded checksums
//! (pinned by a test below).

use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::{AssertSqlSafe, SqlSafeStr};

/// The database a migration is rendered for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Schema {
    Sqlite,
    Postgres,
}

macro_rules! migration {
    ($version:literal, $file:literal) => {
        (
            $version,
            $file,
            include_str!(concat!("../migrations/", $file)),
        )
    };
}

/// (version, file name, template), in order.
const MIGRATIONS: &[(i64, &str, &str)] = &[
    migration!(1, "0001_audit_log_incidents_users.sql"),
    migration!(2, "0002_incident_attendance.sql"),
    migration!(3, "0003_crime_recording_clock.sql"),
    migration!(4, "0004_incident_position.sql"),
    migration!(5, "0005_crimes.sql"),
    migration!(6, "0006_several_roles.sql"),
    migration!(7, "0007_settings.sql"),
    migration!(20, "0020_gazetteer.sql"),
    migration!(21, "0021_audit_seals.sql"),
    migration!(22, "0022_sign_in_attempts.sql"),
    migration!(23, "0023_street_extent_index.sql"),
    migration!(24, "0024_address_position_index.sql"),
    migration!(25, "0025_streams_by_kind.sql"),
    migration!(26, "0026_call_signs.sql"),
    migration!(27, "0027_search_marks.sql"),
    migration!(28, "0028_crimes_in_work.sql"),
];

/// The SQL `schema` runs for one migration template.
pub fn render(template: &str, schema: Schema) -> String {
    let (mine, theirs, integer) = match schema {
        Schema::Sqlite => ("--@sqlite ", "--@postgres ", "INTEGER"),
        Schema::Postgres => ("--@postgres ", "--@sqlite ", "BIGINT"),
    };
    let mut sql = String::with_capacity(template.len());
    for line in template.split_inclusive('\n') {
        if let Some(own) = line.strip_prefix(mine) {
            sql.push_str(own);
        } else if !line.starts_with(theirs) {
            sql.push_str(&line.replace("{{BIGINT}}", integer));
        }
    }
    sql
}

/// The migrator for `schema`: every migration, rendered, with its description taken from the
/// file name as `sqlx::migrate!` takes it.
pub fn migrator(schema: Schema) -> Migrator {
    Migrator::with_migrations(
        MIGRATIONS
            .iter()
            .map(|&(version, file, template)| {
                let description = file
                    .trim_end_matches(".sql")
                    .split_once('_')
                    .map_or("", |(_, name)| name)
                    .replace('_', " ");
                Migration::new(
                    version,
                    description.into(),
                    MigrationType::Simple,
                    AssertSqlSafe(render(template, schema)).into_sql_str(),
                    false,
                )
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SHA-384 of each file as it was applied by earlier versions (sqlite, postgres): a
    /// database migrated then must still match, or it refuses to start.
    const APPLIED: &[(&str, &str, &str)] = &[
        (
            "0001_audit_log_incidents_users.sql",
            "bca5111bd21fc7ff89cb41f86a17494be827409512a9e412b2b7bdeab5836d8c2059691b3008857427cc213b5836d973",
            "64c8a9bb31c9f31e4bb7b4eda228335e1e163907e0c56f7f49f998c24ee73d1138364f9cef6c90d94eae0aa6f1d6c6cf",
        ),
        (
            "0002_incident_attendance.sql",
            "6d79d336866072325f086aee23491c3b61f4d43cae8a49f609cf2e77304ce0c1b4355b93c9544816a7a2cc875d52b048",
            "12faabf5e1c1ea87f9c0854ae13c4c7ce0bb8b2e7bc075b214656cd37102175ac7ea99dd25d2c4e44d1fa5ab21a7373d",
        ),
        (
            "0003_crime_recording_clock.sql",
            "5899cdb2d01c3d7dfe458995eb6af9f29299110ed82fd1e011615c0fe43436226f55604ca8ac856e8cd50af437c92124",
            "f1afb1fa04200163421c6d54b792b5315440fdac3730bbbcc3d94ae5946a5da72b66c4be34c56df1d61da6fa968b0a62",
        ),
        (
            "0004_incident_position.sql",
            "e49cba3dc35f1532438f112edea3a9a924de68cce07c238526feaa4dbda50713fb91b764c44199c23a7db0aa15e6116d",
            "c64abab7685514ef9dfa604b59f3fd2f1324b5e6bf630c139f99e6779afa89baa7bb67eff6013539ad0272501e42dc15",
        ),
        (
            "0005_crimes.sql",
            "6f200a10b1d3b1b0b3f882d49072d334541481ebd9b061c900eaa6383212f44e6362a5a8d61fdd44f88292c419e6d179",
            "57ba5b746844716fcd22a4b85d31b46bd025fbc5bcb0785d8f29cac4882e1a9cbbbd670b7bc4e8b170faa44c5ab5d2f0",
        ),
        (
            "0006_several_roles.sql",
            "23790d7c61884c3333c82ff213d6fe3146f91f02bfe03fa361830c99db4d5c40ba321bc52db3df7756514f214d9662a0",
            "1bd17b187d2dd0a88c69bcbfba776674ae58b94f2a2d91c19fcad71de091151b2d9be6663554945f3af72f52cb8c8f4d",
        ),
        (
            "0007_settings.sql",
            "de93e40e63936fcfffea4d99178cfd4429a2015b480c92a419612e84192f2094a4b281f6abbd651a123f09ec6dbb1220",
            "a05a7b61bfa42fbed7591be51de6f4377c1cba6170324e12a8164122e7e639c2d74d441a4011a49fa9563b110099ab63",
        ),
        (
            "0020_gazetteer.sql",
            "362a5e378747bd84833311a02cf752ad8dcdd6c253e5a058f8a67580a94449143eae22312643a5a0e43da60adb5fac5c",
            "3315159c812a4883bbed3983171fb82b7ac075f1678cdf84025c64cb8bcd120e5d156a8ff78cc05ae57384d6733c15ef",
        ),
        (
            "0021_audit_seals.sql",
            "5a7ed07f58110646c45a9f8002a00ec24bae212385aeb9d9d4dd1a9e774d30907aad1c96e92ad4e8b32caecc53b3c556",
            "5a7ed07f58110646c45a9f8002a00ec24bae212385aeb9d9d4dd1a9e774d30907aad1c96e92ad4e8b32caecc53b3c556",
        ),
        (
            "0022_sign_in_attempts.sql",
            "28d74700e64aa6c4c1ee05f2e17fe97ab455ae2e6b0978afc60cdc7e5b8019b88608d8bac9941ba02fccad44b73c6a74",
            "a556228eb11525aa0e7dbb9921264d87a438478d79cd18bf94fe44aeba9317bd4c02cd6b3753b32fbb3d9fa1aa122633",
        ),
        (
            "0023_street_extent_index.sql",
            "b6e2000ed3b4ce0cef1ab25d2be265de3b5547d5fd0e557a01e07c8f88c585b41f5b94d99566da11541ef5eb4b8cbe08",
            "b6e2000ed3b4ce0cef1ab25d2be265de3b5547d5fd0e557a01e07c8f88c585b41f5b94d99566da11541ef5eb4b8cbe08",
        ),
        (
            "0024_address_position_index.sql",
            "210e25eca117ad123fe264e0bb49755490ce5e8431ea6ca183748c6c8830cec396ff98caadd64dc0bae0ac9802e47efa",
            "210e25eca117ad123fe264e0bb49755490ce5e8431ea6ca183748c6c8830cec396ff98caadd64dc0bae0ac9802e47efa",
        ),
        (
            "0025_streams_by_kind.sql",
            "e91d03a22a7b9c37d61b5567f7793c321269be5fe3d0fa6e519031834ce6e705b6c3e8ac45db1657779fa9cf10a698fb",
            "5c60a5af3a411376340d1d5a7284ccd0983ffaf1acf9d09f85e941ce6310946a70b39b764bc8c98163a47d72789ec17e",
        ),
    ];

    #[test]
    fn each_database_runs_exactly_what_it_ran_before() {
        for (schema, column) in [(Schema::Sqlite, 1), (Schema::Postgres, 2)] {
            let migrator = migrator(schema);
            for (migration, pinned) in migrator.iter().zip(APPLIED) {
                let expected = if column == 1 { pinned.1 } else { pinned.2 };
                assert_eq!(
                    hex::encode(&*migration.checksum),
                    expected,
                    "{} for {schema:?} changed: a database migrated before would refuse to start",
                    pinned.0
                );
            }
        }
    }

    #[test]
    fn every_file_is_listed_once_in_order() {
        let mut files: Vec<String> =
            std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations"))
                .unwrap()
                .map(|e| e.unwrap().file_name().into_string().unwrap())
                .collect();
        files.sort();
        let listed: Vec<&str> = MIGRATIONS.iter().map(|m| m.1).collect();
        assert_eq!(files, listed);
        for (version, file, _) in MIGRATIONS {
            assert_eq!(file[..4].parse::<i64>().unwrap(), *version, "{file}");
        }
    }

    #[test]
    fn marks_choose_lines_and_types() {
        let template = "CREATE TABLE t (n {{BIGINT}});\n--@sqlite CREATE TRIGGER a;\n--@postgres CREATE FUNCTION b;\nEND;\n";
        assert_eq!(
            render(template, Schema::Sqlite),
            "CREATE TABLE t (n INTEGER);\nCREATE TRIGGER a;\nEND;\n"
        );
        assert_eq!(
            render(template, Schema::Postgres),
            "CREATE TABLE t (n BIGINT);\nCREATE FUNCTION b;\nEND;\n"
        );
    }
}
