//! The `s3strict` binary: parse settings, start logging, bind, serve until SIGINT/SIGTERM.

use std::io::Write;

use clap::Parser;
use s3strict::config::{Cli, Command, Config};
use s3strict::server::{shutdown_signal, Server};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let args = match cli.command {
        Some(Command::Serve(args)) => args,
        None => cli.serve,
    };
    let config = match Config::from_args(args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("s3strict: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("S3STRICT_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let (region, access_key) = (config.region.clone(), config.access_key.clone());
    let server = match Server::bind(config).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("s3strict: cannot start: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let mut out = std::io::stdout();
    let _ = writeln!(out, "listening on http://{}", server.local_addr());
    let _ = writeln!(out, "region {region}, access key {access_key}");
    let _ = out.flush();
    match server.run(shutdown_signal()).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("s3strict: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
