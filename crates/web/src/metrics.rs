//! Request counts and latencies in Prometheus form. The recorder is process-wide, so it is
//! installed once however many servers a test starts in one process.

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;
use std::time::Instant;

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

pub fn install() {
    HANDLE.get_or_init(|| {
        let builder = PrometheusBuilder::new()
            .set_buckets_for_metric(
                Matcher::Full("http_request_duration_seconds".into()),
                &[
                    0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
                ],
            )
            .ok()?;
        builder.install_recorder().ok()
    });
}

pub fn render() -> String {
    install();
    HANDLE
        .get()
        .and_then(Option::as_ref)
        .map(PrometheusHandle::render)
        .unwrap_or_default()
}

/// The log's head and how many records behind it each follower is.
pub fn log_lag(lag: &controlroom_app::follow::Lag) {
    #[allow(clippy::cast_precision_loss)] // seqs stay far below 2^53
    let gauge = |n: i64| n as f64;
    metrics::gauge!("controlroom_log_head_seq").set(gauge(lag.head));
    metrics::gauge!("controlroom_log_lag_records", "follower" => "live_feed")
        .set(gauge(lag.live_feed));
    metrics::gauge!("controlroom_log_lag_records", "follower" => "search").set(gauge(lag.search));
}

/// Group commit at work: write transactions committed, database commits they shared (the
/// ratio is the mean batch), and how many are waiting for their turn now.
pub fn writes(stats: controlroom_app::WriteStats) {
    metrics::counter!("controlroom_write_requests_total").absolute(stats.requests);
    metrics::counter!("controlroom_write_commits_total").absolute(stats.commits);
    #[allow(clippy::cast_precision_loss)] // a queue far below 2^53
    metrics::gauge!("controlroom_writes_waiting").set(stats.waiting as f64);
}

pub async fn track(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().to_string();
    // The route template, not the path: ids in paths would make a metric per incident.
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    metrics::counter!("http_requests_total", "method" => method.clone(), "route" => route.clone(), "status" => status)
        .increment(1);
    metrics::histogram!("http_request_duration_seconds", "method" => method, "route" => route)
        .record(started.elapsed().as_secs_f64());
    response
}
