//! A load test of the running app on loopback, bounded in time and count:
//! N keep-alive connections each send requests one after another for a
//! fixed time; every latency goes into a histogram.

use std::time::{Duration, Instant};

use anyhow::{anyhow, Result};
use hdrhistogram::Histogram;

/// What one load run measured.
#[derive(Debug, Clone)]
pub struct LoadReport {
    pub seconds: f64,
    pub requests: u64,
    pub errors: u64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    pub bytes_per_response: u64,
}

impl LoadReport {
    pub fn per_second(&self) -> f64 {
        self.requests as f64 / self.seconds
    }
}

/// Runs `connections` clients against `url` (with the session `cookie`) for
/// `duration`, stopping early after `max_requests` in all.
pub async fn run(
    url: &str,
    cookie: &str,
    connections: usize,
    duration: Duration,
    max_requests: u64,
) -> Result<LoadReport> {
    let start = Instant::now();
    let deadline = start + duration;
    let budget = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(max_requests));
    let mut tasks = Vec::new();
    for _ in 0..connections {
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(1)
            .timeout(Duration::from_secs(10))
            .build()?;
        let url = url.to_string();
        let cookie = cookie.to_string();
        let budget = budget.clone();
        tasks.push(tokio::spawn(async move {
            let mut hist = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)
                .map_err(|e| anyhow!("histogram: {e}"))?;
            let (mut errors, mut bytes) = (0u64, 0u64);
            while Instant::now() < deadline {
                if budget
                    .fetch_update(
                        std::sync::atomic::Ordering::Relaxed,
                        std::sync::atomic::Ordering::Relaxed,
                        |n| n.checked_sub(1),
                    )
                    .is_err()
                {
                    break;
                }
                let t = Instant::now();
                let ok = match client
                    .get(&url)
                    .header(reqwest::header::COOKIE, &cookie)
                    .send()
                    .await
                {
                    Ok(r) => {
                        let status = r.status();
                        match r.bytes().await {
                            Ok(b) => {
                                bytes = b.len() as u64;
                                status == reqwest::StatusCode::OK
                            }
                            Err(_) => false,
                        }
                    }
                    Err(_) => false,
                };
                let micros = t.elapsed().as_micros().clamp(1, 60_000_000) as u64;
                hist.record(micros).map_err(|e| anyhow!("histogram: {e}"))?;
                if !ok {
                    errors += 1;
                }
            }
            Ok::<_, anyhow::Error>((hist, errors, bytes))
        }));
    }
    let mut all = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)
        .map_err(|e| anyhow!("histogram: {e}"))?;
    let (mut errors, mut bytes) = (0, 0);
    for t in tasks {
        let (h, e, b) = t.await??;
        all.add(&h).map_err(|e| anyhow!("histogram: {e}"))?;
        errors += e;
        bytes = bytes.max(b);
    }
    let seconds = start.elapsed().as_secs_f64();
    let ms = |q: f64| all.value_at_quantile(q) as f64 / 1000.0;
    Ok(LoadReport {
        seconds,
        requests: all.len(),
        errors,
        p50_ms: ms(0.50),
        p90_ms: ms(0.90),
        p99_ms: ms(0.99),
        max_ms: all.max() as f64 / 1000.0,
        bytes_per_response: bytes,
    })
}
