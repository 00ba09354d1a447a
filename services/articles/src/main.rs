//! `tickertape-articles`: raw pages in, article events out.

use clap::Parser;
use tickertape_articles::config::ArticlesConfig;
use tickertape_core::{shutdown, telemetry, ProcessHost};

// mimalloc: the services allocate many small, short-lived objects per message.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = ArticlesConfig::parse();
    telemetry::init(config.service.log_format);
    let shutdown = shutdown::on_signal();
    let host = ProcessHost::new();
    host.serve(config.service.metrics_addr, shutdown.clone())
        .await?;
    tickertape_articles::service::run(&config.service, &config.articles, &host, shutdown).await
}
