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
        Some(Command::Health(args)) => return health(args),
        None => cli.serve,
    };
    let mut config = match Config::from_args(args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("s3strict: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    init_logging(config.log_json);
    // --ephemeral: a fresh directory, removed when this guard drops at the end of main.
    let _ephemeral = if config.ephemeral {
        match tempfile::Builder::new().prefix("s3strict-").tempdir() {
            Ok(dir) => {
                config.data = dir.path().to_path_buf();
                tracing::info!(data = %dir.path().display(), "data in a temporary directory, removed at exit (--ephemeral)");
                Some(dir)
            }
            Err(e) => {
                eprintln!("s3strict: cannot start: cannot create a temporary data directory (--ephemeral): {e}");
                return std::process::ExitCode::FAILURE;
            }
        }
    } else {
        None
    };
    let (region, access_key, secret_key) =
        (config.region.clone(), config.access_key.clone(), config.secret_key.clone());
    let (buckets, seed, ready_file) = (config.buckets.clone(), config.seed.clone(), config.ready_file.clone());
    let server = match Server::bind(config).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("s3strict: cannot start: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let state = server.state();
    if let Err(e) = prepare_contents(&state, &buckets, seed.as_deref()).await {
        eprintln!("s3strict: cannot start: {e}");
        return std::process::ExitCode::FAILURE;
    }
    let addr = server.local_addr();
    if !addr.ip().is_loopback() && state.config.admin_token.is_none() {
        tracing::warn!(
            %addr,
            "listening off loopback without an admin token: /_s3strict/ endpoints other than health and ready \
             refuse every request; set --admin-token (S3STRICT_ADMIN_TOKEN) to use them"
        );
    }
    let console = server.console_addr().map(|c| format!("http://{c}{}", s3strict::admin::CONSOLE_PAGE));
    if let Some(c) = server.console_addr().filter(|c| !c.ip().is_loopback() && state.config.admin_token.is_none()) {
        tracing::warn!(
            console = %c,
            "the console listens off loopback without an admin token: it refuses every request but its page; \
             set --admin-token (S3STRICT_ADMIN_TOKEN) to sign in"
        );
    }
    let endpoint = format!("http://{addr}");
    if let Some(path) = ready_file {
        let doc = serde_json::json!({
            "endpoint": endpoint,
            "console": console,
            "region": region,
            "access_key_id": access_key,
            "secret_access_key": secret_key,
            "pid": std::process::id(),
        });
        if let Err(e) = write_ready_file(&path, &doc.to_string()) {
            eprintln!("s3strict: cannot start: cannot write --ready-file {}: {e}", path.display());
            return std::process::ExitCode::FAILURE;
        }
    }
    let mut out = std::io::stdout();
    // The first line's form is a contract (scripts read the endpoint from it); the console's
    // line follows it, and the third line says the region and key, as before the console had
    // a listener of its own.
    let _ = writeln!(out, "listening on {endpoint}");
    let _ = match (&console, server.console_note()) {
        (Some(url), None) => writeln!(out, "console on {url}"),
        (Some(url), Some(note)) => writeln!(out, "console on {url} ({note})"),
        (None, _) => writeln!(out, "console off (--console-addr off)"),
    };
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

/// Logs on stderr, filtered by `S3STRICT_LOG`, else `RUST_LOG`, else `info`; as text with colours
/// only on a terminal, or as one JSON object a line.
fn init_logging(json: bool) {
    use std::io::IsTerminal as _;
    let filter = ["S3STRICT_LOG", "RUST_LOG"]
        .iter()
        .find_map(|name| std::env::var(name).ok().and_then(|v| tracing_subscriber::EnvFilter::try_new(v).ok()))
        .unwrap_or_else(|| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    if json {
        builder.json().flatten_event(true).with_current_span(false).with_span_list(false).init();
    } else {
        builder.with_ansi(std::io::stderr().is_terminal()).init();
    }
}

/// `--buckets` and `--seed`, before the server says it listens.
async fn prepare_contents(
    state: &s3strict::state::AppState,
    buckets: &[String],
    seed: Option<&std::path::Path>,
) -> Result<(), String> {
    for name in buckets {
        if s3strict::s3::seed::ensure_bucket(state, name).await? {
            tracing::info!(bucket = %name, "bucket created (--buckets)");
        }
    }
    if let Some(dir) = seed {
        let done = s3strict::s3::seed::load(state, dir).await?;
        tracing::info!(folder = %dir.display(), buckets = done.buckets, objects = done.objects, bytes = done.bytes, "seed loaded");
    }
    Ok(())
}

/// Writes the ready file whole under a temporary name, then renames it into place (owner-only:
/// it holds the secret key).
fn write_ready_file(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = std::path::PathBuf::from(tmp);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut f = options.open(&tmp)?;
    f.write_all(text.as_bytes())?;
    f.write_all(b"\n")?;
    drop(f);
    std::fs::rename(&tmp, path)
}

/// `s3strict health`: exit 0 when the server at the address answers its health endpoint with 200
/// (for container HEALTHCHECKs: no curl needed in the image).
fn health(args: s3strict::config::HealthArgs) -> std::process::ExitCode {
    use std::io::Read as _;
    let addr = match s3strict::config::resolve_addr(&args.addr) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("s3strict: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    // A server listening on every address is reached on loopback.
    let target = match addr.ip() {
        ip if ip.is_unspecified() && ip.is_ipv4() => std::net::SocketAddr::from(([127, 0, 0, 1], addr.port())),
        ip if ip.is_unspecified() => std::net::SocketAddr::from((std::net::Ipv6Addr::LOCALHOST, addr.port())),
        _ => addr,
    };
    let timeout = std::time::Duration::from_secs(args.timeout.max(1));
    let answer = (|| -> std::io::Result<String> {
        let mut stream = std::net::TcpStream::connect_timeout(&target, timeout)?;
        stream.set_read_timeout(Some(timeout))?;
        stream.set_write_timeout(Some(timeout))?;
        write!(stream, "GET /_s3strict/health HTTP/1.1\r\nHost: {target}\r\nConnection: close\r\n\r\n")?;
        let mut head = [0u8; 64];
        let n = stream.read(&mut head)?;
        Ok(String::from_utf8_lossy(&head[..n]).lines().next().unwrap_or("").to_string())
    })();
    match answer {
        Ok(line) if line.starts_with("HTTP/1.1 200") => {
            println!("healthy: http://{target}");
            std::process::ExitCode::SUCCESS
        }
        Ok(line) => {
            eprintln!("s3strict: unhealthy: http://{target}/_s3strict/health answered {line:?}");
            std::process::ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("s3strict: unhealthy: cannot reach http://{target}: {e}");
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
        Some(Err(e)) => {
            let path = args.canonical_request.as_deref().unwrap_or(std::path::Path::new("")).display();
            return fail(format!("cannot read --canonical-request {path}: {e}"));
        }
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
