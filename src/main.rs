//! The `s3strict` binary: parse settings, start logging, bind, serve until SIGINT/SIGTERM.

use std::io::Write;

use clap::Parser;
use s3strict::check::{check, CheckInput};
use s3strict::config::{CheckArgs, Cli, Command, Config, PresignArgs};
use s3strict::presign::{parse_s3_url, presign_post, presign_url, FormConditions, PresignInput};
use s3strict::server::{shutdown_signal, Server};

/// mimalloc instead of glibc's malloc: the small-request path allocates per request (headers, the
/// canonical request, the response), and glibc's arena locks and consolidation took about a
/// seventh of a presigned GET's CPU time in a profile; see the README's benchmark table.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let args = match cli.command {
        Some(Command::Serve(args)) => args,
        Some(Command::CheckUrl(args)) => return check_url(args),
        Some(Command::Presign(args)) => return presign(args),
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
    let json = args.json;
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
            if json {
                println!("{}", report.json);
            } else {
                print!("{}", report.text);
            }
            if report.accepted {
                std::process::ExitCode::SUCCESS
            } else {
                std::process::ExitCode::FAILURE
            }
        }
        Err(e) => fail(e),
    }
}

/// `s3strict presign`: prints the URL, or with `--post` the form as JSON; exit 2 on bad input.
fn presign(args: PresignArgs) -> std::process::ExitCode {
    let fail = |e: String| {
        eprintln!("s3strict: {e}");
        std::process::ExitCode::from(2)
    };
    let (bucket, key) = match parse_s3_url(&args.url) {
        Ok(bk) => bk,
        Err(e) => return fail(e),
    };
    let at = match args.at.as_deref().map(chrono::DateTime::parse_from_rfc3339) {
        None => chrono::Utc::now(),
        Some(Ok(t)) => t.with_timezone(&chrono::Utc),
        Some(Err(e)) => return fail(format!("invalid --at: {e}")),
    };
    let pairs = |items: &[String], sep: char, what: &str| -> Result<Vec<(String, String)>, String> {
        items
            .iter()
            .map(|i| {
                i.split_once(sep)
                    .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
                    .ok_or_else(|| format!("{what} wants `name{sep}value`, got {i:?}"))
            })
            .collect()
    };
    let parsed = (|| -> Result<_, String> {
        Ok((
            pairs(&args.headers, ':', "--header")?,
            pairs(&args.query, '=', "--query")?,
            pairs(&args.fields, '=', "--field")?,
            pairs(&args.starts_with, '=', "--starts-with")?,
        ))
    })();
    let (headers, query, fields, starts_with) = match parsed {
        Ok(p) => p,
        Err(e) => return fail(e),
    };
    let content_length_range = match args.content_length_range.as_deref().map(|r| {
        r.split_once(',').and_then(|(a, b)| Some((a.trim().parse::<u64>().ok()?, b.trim().parse::<u64>().ok()?)))
    }) {
        None => None,
        Some(Some(range)) => Some(range),
        Some(None) => return fail("--content-length-range wants MIN,MAX".into()),
    };
    let input = PresignInput {
        method: args.method.to_ascii_uppercase(),
        bucket,
        key,
        expires: args.expires,
        headers,
        query,
        virtual_hosted: args.style == "virtual",
        sigv2: args.sigv2,
        endpoint: args.endpoint,
        access_key: args.access_key,
        secret_key: args.secret_key,
        session_token: args.session_token,
        region: args.region,
        at,
    };
    let out = if args.post {
        let conditions = FormConditions { fields, starts_with, content_length_range };
        presign_post(&input, &conditions).map(|v| v.to_string())
    } else {
        presign_url(&input)
    };
    match out {
        Ok(text) => {
            println!("{text}");
            std::process::ExitCode::SUCCESS
        }
        Err(e) => fail(e),
    }
}
