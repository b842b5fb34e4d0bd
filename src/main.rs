//! The `s3strict` binary: parse settings, start logging, bind, serve until SIGINT/SIGTERM.

use std::io::Write;

use clap::Parser;
use s3strict::check::{check, CheckInput};
use s3strict::config::{CheckArgs, Cli, Command, Config};
use s3strict::server::{shutdown_signal, Server};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let args = match cli.command {
        Some(Command::Serve(args)) => args,
        Some(Command::CheckUrl(args)) => return check_url(args),
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

/// `s3strict check-url`: prints the verdict; exit 0 when S3 would accept the URL, 1 when not, 2
/// on bad input.
fn check_url(args: CheckArgs) -> std::process::ExitCode {
    let fail = |e: String| {
        eprintln!("s3strict: {e}");
        std::process::ExitCode::from(2)
    };
    let at = match args.at.as_deref().map(chrono::DateTime::parse_from_rfc3339) {
        None => None,
        Some(Ok(t)) => Some(t.with_timezone(&chrono::Utc)),
        Some(Err(e)) => return fail(format!("invalid --at: {e}")),
    };
    let canonical_request = match args.canonical_request.as_ref().map(std::fs::read_to_string) {
        None => None,
        Some(Ok(text)) => Some(text),
        Some(Err(e)) => return fail(format!("cannot read --canonical-request: {e}")),
    };
    let mut headers = Vec::new();
    for h in &args.headers {
        match h.split_once(':') {
            Some((n, v)) => headers.push((n.trim().to_string(), v.trim().to_string())),
            None => return fail(format!("--header wants `Name: value`, got {h:?}")),
        }
    }
    let input = CheckInput {
        url: args.url,
        method: args.method,
        headers,
        access_key: args.access_key,
        secret_key: args.secret_key,
        region: args.region,
        domain: args.domain,
        at,
        canonical_request,
    };
    match check(&input) {
        Ok(report) => {
            print!("{}", report.text);
            if report.accepted {
                std::process::ExitCode::SUCCESS
            } else {
                std::process::ExitCode::FAILURE
            }
        }
        Err(e) => fail(e),
    }
}
