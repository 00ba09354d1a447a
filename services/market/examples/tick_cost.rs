//! Parses four kinds of JSON tick N times: a driver for counting
//! instructions a tick (see `services/articles/examples/page_cost.rs`).

use tickertape_market::tick::parse_tick;
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
fn main() {
    let n: usize = std::env::args().nth(1).unwrap().parse().unwrap();
    let now = chrono::Utc::now();
    let ticks: [&[u8]; 4] = [
        br#"{"symbol":"BP","price":"28.57","ts":"2024-11-12T09:30:00Z","currency":"GBP","venue":"XLON","seq":7,"source":"lse-feed"}"#,
        br#"{"symbol":"VOD","price":72.34,"ts":1731403800000,"change_pct":-0.5,"currency":"GBP"}"#,
        br#"{"symbol":"AZN","price":"101.2","ts":"2024-11-12T09:30:00.250Z","change_pct":"1.25","seq":12}"#,
        br#"{"symbol":"RIO","price":61,"ts":1731403800000,"source":{"kind":"feed","name":"nyse"}}"#,
    ];
    let mut sum = 0i64;
    for i in 0..n {
        sum += std::hint::black_box(parse_tick(ticks[i % 4], now).unwrap())
            .event_time
            .timestamp();
    }
    println!("{sum}");
}
