//! Integration tests: the real server on a free loopback port, driven over HTTP, on SQLite
//! and (when configured) PostgreSQL. One test binary, to keep link time down.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod access;
mod bad_input;
mod cli;
mod cluster;
mod console;
mod consultation;
mod crimes;
mod diary;
mod dispatch;
mod durability;
mod first_contact;
mod flow;
mod gazetteer;
mod idempotency;
mod intelligence;
mod investigation;
mod limits;
mod many_servers;
mod map;
mod markers;
mod ops;
mod partners;
mod placing;
mod recording;
mod replay;
mod roles;
mod session;
mod tamper;
mod tasking;
mod throttle;
