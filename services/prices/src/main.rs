//! `tickertape-prices`: raw ticks in, price changes and alerts out.

use clap::Parser;
use tickertape_core::{shutdown, telemetry, ProcessHost};
use tickertape_prices::config::PricesConfig;

// mimalloc: the services allocate many small, short-lived objects per message.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = PricesConfig::parse();
    telemetry::init(config.service.log_format);
    let shutdown = shutdown::on_signal();
    let host = ProcessHost::new();
    host.serve(config.service.metrics_addr, shutdown.clone())
        .await?;
    tickertape_prices::service::run(&config.service, &config.prices, &host, shutdown).await
}
