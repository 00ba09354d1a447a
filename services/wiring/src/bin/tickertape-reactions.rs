//! `tickertape-reactions`: article events and price changes in, market reactions out.

use tickertape_core::{shutdown, telemetry, ProcessHost};
use tickertape_wiring::config::ReactionsCommand;

// mimalloc: the services allocate many small, short-lived objects per message.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> anyhow::Result<()> {
    let command = ReactionsCommand::from_process();
    telemetry::init(command.service.log_format);
    let settings = command.reactions.settings(&command.time_bounds)?;
    shutdown::run_service(|shutdown| async move {
        let host = ProcessHost::new();
        host.serve(command.service.metrics_addr, shutdown.clone())
            .await?;
        tickertape_wiring::reactions::run(&command.service, &settings, &host, shutdown).await?;
        Ok(())
    })?
}
