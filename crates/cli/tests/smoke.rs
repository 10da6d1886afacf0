//! Black-box tests of the binary: the release build when `LIANSHI_BIN` points at it (the test
//! script builds it), else the test profile's build. Includes a real-browser check through
//! chromedriver and a killed import.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

mod common;
use common::{Tmp, bin};

fn lianshi(db: &str, args: &[&str]) -> Output {
    Command::new(bin())
        .arg("--db")
        .arg(db)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A minimal HTTP/1.1 client (one request per connection), enough for black-box checks.
fn http(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, String, String) {
    http_within(Duration::from_secs(30), port, method, path, headers, body)
}

/// [`http`] waiting up to `wait` for the answer.
fn http_within(
    wait: Duration,
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, String, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(wait)).unwrap();
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    req.push_str(body);
    s.write_all(req.as_bytes()).unwrap();
    // Read the head, then exactly Content-Length bytes (some servers keep the socket open).
    let mut raw = Vec::new();
    let mut buf = [0u8; 65536];
    let head_end = loop {
        if let Some(i) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = s.read(&mut buf).unwrap();
        assert!(n > 0, "connection closed before the response head");
        raw.extend_from_slice(&buf[..n]);
    };
    let head = String::from_utf8_lossy(&raw[..head_end]).to_string();
    let lower = head.to_ascii_lowercase();
    let length = lower
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse::<usize>().ok());
    match length {
        Some(len) => {
            while raw.len() < head_end + len {
                let n = s.read(&mut buf).unwrap();
                if n == 0 {
                    break;
                }
                raw.extend_from_slice(&buf[..n]);
            }
        }
        None => {
            s.read_to_end(&mut raw).unwrap();
        }
    }
    let body = String::from_utf8_lossy(&raw[head_end..]).to_string();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = if lower.contains("transfer-encoding: chunked") {
        dechunk(&body)
    } else {
        body
    };
    (status, head, body)
}

fn dechunk(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some((size, tail)) = rest.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 || tail.len() < n {
            break;
        }
        out.push_str(&tail[..n]);
        rest = tail[n..].trim_start_matches("\r\n");
    }
    out
}

struct Server {
    child: Child,
    port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(t: &Tmp) -> (Server, String) {
    let out = std::fs::File::create(t.path("serve.log")).unwrap();
    // Port 0: the server binds a port the system chooses and prints it. Choosing a free port
    // here and passing it would leave it unreserved while the demo loads, and a parallel test
    // could take it.
    let child = Command::new(bin())
        .args(["--db", &t.db(), "serve", "--demo", "--addr", "127.0.0.1:0"])
        .stdout(out)
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut server = Server { child, port: 0 };
    let start = Instant::now();
    let marker = "serving at http://127.0.0.1:";
    loop {
        let log = std::fs::read_to_string(t.path("serve.log")).unwrap_or_default();
        if let Some(i) = log.find(marker) {
            let rest = &log[i + marker.len()..];
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            if rest.len() > digits.len() {
                server.port = digits.parse().expect("the server prints its port");
                break;
            }
        }
        assert!(
            server.child.try_wait().unwrap().is_none(),
            "the server exited: {log}"
        );
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "server did not come up: {log}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let port = server.port;
    loop {
        if TcpStream::connect(("127.0.0.1", port)).is_ok()
            && http(port, "GET", "/healthz", &[], "").0 == 200
        {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "server did not answer"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let log = std::fs::read_to_string(t.path("serve.log")).unwrap();
    (server, log)
}

fn token(port: u16, user: &str) -> String {
    let (s, _, body) = http(
        port,
        "POST",
        "/api/v1/auth/token",
        &[("Content-Type", "application/json")],
        &format!("{{\"username\":\"{user}\",\"password\":\"Lianshi@2026\"}}"),
    );
    assert_eq!(s, 200, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    v["token"].as_str().unwrap().to_string()
}

#[test]
fn serve_demo_starts_prints_accounts_and_answers_the_api() {
    let t = Tmp::new("serve");
    let (srv, log) = serve(&t);
    assert!(
        log.contains("admin")
            && log.contains("Lianshi@2026")
            && log.contains(&format!("http://127.0.0.1:{}/", srv.port)),
        "{log}"
    );
    let tok = token(srv.port, "admin");
    let (s, _, body) = http(
        srv.port,
        "GET",
        "/api/v1/enterprises?per_page=3&chain=ic",
        &[("Authorization", &format!("Bearer {tok}"))],
        "",
    );
    assert_eq!(s, 200);
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert!(v["total"].as_i64().unwrap() > 0);
    let (s, _, all) = http(
        srv.port,
        "GET",
        "/api/v1/enterprises?per_page=1",
        &[("Authorization", &format!("Bearer {tok}"))],
        "",
    );
    assert_eq!(s, 200);
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&all).unwrap()["total"],
        2000
    );
    let (s, _, _) = http(
        srv.port,
        "GET",
        "/api/v1/enterprises",
        &[("Authorization", "Bearer nope")],
        "",
    );
    assert_eq!(s, 401);
    let csv =
        "统一社会信用代码,企业名称,产业链环节\n91330108MA27Y5XH5G,冒烟测试企业（示例）,ic.design\n";
    let auth = format!("Bearer {tok}");
    let (s, _, body) = http(
        srv.port,
        "POST",
        "/api/v1/enterprises/import",
        &[("Authorization", &auth), ("Content-Type", "text/csv")],
        csv,
    );
    assert_eq!(s, 200, "{body}");
    let (s, _, body) = http(
        srv.port,
        "GET",
        "/api/v1/enterprises/91330108MA27Y5XH5G",
        &[("Authorization", &auth)],
        "",
    );
    assert!(s == 200 && body.contains("冒烟测试企业"), "{body}");
    let (s, head, _) = http(srv.port, "GET", "/", &[], "");
    assert_eq!(s, 303, "{head}");
    let (s, _, page) = http(srv.port, "GET", "/login", &[], "");
    assert!(s == 200 && page.contains("链事荟"));
}

fn write_csv(path: &Path, rows: &[&str]) {
    let mut s = String::from("统一社会信用代码,企业名称,从业人数,产业链环节\n");
    for r in rows {
        s.push_str(r);
        s.push('\n');
    }
    std::fs::write(path, s).unwrap();
}

#[test]
fn cli_commands_work_and_failures_exit_non_zero_with_one_line() {
    let t = Tmp::new("cli");
    let db = t.db();
    let out = lianshi(&db, &["demo", "--enterprises", "50", "--seed", "3"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("50"));
    let migrate = lianshi(&db, &["migrate"]);
    assert!(String::from_utf8_lossy(&migrate.stdout).contains("up to date"));

    let bad = t.path("bad.csv");
    write_csv(
        &bad,
        &[
            "91330108MA27Y5XH5G,好企业（示例）,10,ic.design",
            "91330108MA27Y5XH5F,坏代码,10,",
            "913301086706280599,负人数,-1,",
        ],
    );
    let out = lianshi(&db, &["import", "enterprises", bad.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("第3行【统一社会信用代码】") && err.contains("第4行【从业人数】"),
        "{err}"
    );
    assert!(
        err.lines().last().unwrap().starts_with("lianshi: "),
        "{err}"
    );
    let export = t.path("all.csv");
    assert!(
        lianshi(&db, &["export", "enterprises", export.to_str().unwrap()])
            .status
            .success()
    );
    let lines = std::fs::read_to_string(&export).unwrap().lines().count();
    assert_eq!(lines, 51, "nothing was written by the failed import");

    let dry = lianshi(
        &db,
        &[
            "import",
            "enterprises",
            bad.to_str().unwrap(),
            "--dry-run",
            "--skip-invalid",
        ],
    );
    assert!(String::from_utf8_lossy(&dry.stdout).contains("dry run"));
    let out = lianshi(
        &db,
        &[
            "import",
            "enterprises",
            bad.to_str().unwrap(),
            "--skip-invalid",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rejects = std::fs::read_to_string(t.path("bad.csv.rejects.csv")).unwrap();
    assert_eq!(rejects.lines().count(), 3);
    assert!(
        lianshi(
            &db,
            &[
                "export",
                "enterprises",
                export.to_str().unwrap(),
                "--chain",
                "ic",
                "--q",
                "好企业"
            ]
        )
        .status
        .success()
    );
    assert!(
        std::fs::read_to_string(&export)
            .unwrap()
            .contains("91330108MA27Y5XH5G")
    );

    let tpl = t.path("template.xlsx");
    assert!(
        lianshi(
            &db,
            &["export", "enterprises", tpl.to_str().unwrap(), "--template"]
        )
        .status
        .success()
    );
    assert_eq!(&std::fs::read(&tpl).unwrap()[..2], b"PK");

    let add = |args: &[&str], pw: &str| {
        let mut c = Command::new(bin())
            .arg("--db")
            .arg(&db)
            .args(["user", "add"])
            .args(args)
            .arg("--password-stdin")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        c.stdin.take().unwrap().write_all(pw.as_bytes()).unwrap();
        c.wait_with_output().unwrap()
    };
    assert!(
        add(
            &[
                "--username",
                "wang",
                "--role",
                "department",
                "--department",
                "jxj"
            ],
            "Ledger-Pine-2026\n"
        )
        .status
        .success()
    );
    let dup = add(
        &["--username", "wang", "--role", "team"],
        "Ledger-Pine-2026\n",
    );
    assert!(!dup.status.success());
    // Issue 9: a weak password is refused with one line that says why.
    let weak = add(&["--username", "zhao", "--role", "team"], "abcd1234\n");
    let err = String::from_utf8_lossy(&weak.stderr);
    assert!(
        !weak.status.success() && err.trim().lines().count() == 1 && err.contains("password"),
        "{err}"
    );
    let bad_role = add(
        &["--username", "li", "--role", "root"],
        "Copper-Finch-2026\n",
    );
    let err = String::from_utf8_lossy(&bad_role.stderr);
    assert!(
        !bad_role.status.success() && err.trim().lines().count() == 1 && err.contains("role"),
        "{err}"
    );
    let ent = add(
        &[
            "--username",
            "qiye",
            "--role",
            "enterprise",
            "--enterprise",
            "91330108MA27Y5XH5G",
        ],
        "River-Stone-2026",
    );
    assert!(
        ent.status.success(),
        "{}",
        String::from_utf8_lossy(&ent.stderr)
    );
    let nodb = Command::new(bin())
        .args(["--db", "mysql://x", "migrate"])
        .output()
        .unwrap();
    assert!(!nodb.status.success());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_killed_import_leaves_all_or_nothing() {
    let t = Tmp::new("kill");
    let source = Tmp::new("killsrc");
    assert!(
        lianshi(
            &source.db(),
            &[
                "demo",
                "--enterprises",
                "60000",
                "--seed",
                "9",
                "--enterprises-only"
            ]
        )
        .status
        .success()
    );
    let big = t.path("big.csv");
    assert!(
        lianshi(
            &source.db(),
            &["export", "enterprises", big.to_str().unwrap()]
        )
        .status
        .success()
    );
    let db = t.db();
    assert!(
        lianshi(&db, &["demo", "--enterprises", "0"])
            .status
            .success()
    );
    let mut child = Command::new(bin())
        .args(["--db", &db, "import", "enterprises", big.to_str().unwrap()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Kill once the import's transaction is writing (the WAL grows past its idle size).
    let wal = t.path("l.db-wal");
    let start = Instant::now();
    while std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0) < 2_000_000
        && start.elapsed() < Duration::from_secs(120)
    {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let killed_mid_way = child.try_wait().unwrap().is_none();
    let _ = child.kill();
    let _ = child.wait();
    let store = lianshi_store::Db::connect(&db).await.unwrap();
    let n = store.enterprise_count(&Default::default()).await.unwrap();
    assert!(n == 0 || n == 60000, "partial import left {n} rows");
    assert!(
        killed_mid_way,
        "the import finished before it could be killed; the test proved nothing"
    );
}

/// The WAL file of a test database, and its size now (0 when absent).
fn wal_size(t: &Tmp) -> u64 {
    std::fs::metadata(t.path("l.db-wal"))
        .map(|m| m.len())
        .unwrap_or(0)
}

/// Start `lianshi import enterprises FILE` on the test database and return once its
/// transaction is writing (the WAL has grown by 8 MB), or panic if it ended or took too long.
fn import_writing(t: &Tmp, file: &Path) -> Child {
    let before = wal_size(t);
    let mut child = Command::new(bin())
        .args([
            "--db",
            &t.db(),
            "import",
            "enterprises",
            file.to_str().unwrap(),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while wal_size(t) < before + 8_000_000 {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the import ended before it was seen writing; the test would prove nothing"
        );
        assert!(
            start.elapsed() < Duration::from_secs(600),
            "the import did not start writing within 10 minutes"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    child
}

/// Create a work order through the API in a thread; the handle gives (status, body, seconds).
fn order_in_background(
    port: u16,
    token: &str,
    uscc: &str,
) -> std::thread::JoinHandle<(u16, String, f64)> {
    let auth = format!("Bearer {token}");
    let body = serde_json::json!({"enterprise": uscc, "title": "导入期间提交的诉求",
        "description": "大批量导入时的网页写入", "category": "supply_chain", "channel": "12345"})
    .to_string();
    std::thread::spawn(move || {
        let start = Instant::now();
        let (s, _, b) = http_within(
            Duration::from_secs(900),
            port,
            "POST",
            "/api/v1/orders",
            &[
                ("Authorization", &auth),
                ("Content-Type", "application/json"),
            ],
            &body,
        );
        (s, b, start.elapsed().as_secs_f64())
    })
}

fn total_enterprises(port: u16, auth: &str) -> i64 {
    let (s, _, body) = http(
        port,
        "GET",
        "/api/v1/enterprises?per_page=1",
        &[("Authorization", auth)],
        "",
    );
    assert_eq!(s, 200, "{body}");
    serde_json::from_str::<serde_json::Value>(&body).unwrap()["total"]
        .as_i64()
        .unwrap()
}

/// Issue 9, finding 5: an import is one transaction (all or nothing) that holds SQLite's
/// writer while it writes. A web write made meanwhile waits for the writer and succeeds —
/// after the import's commit, or at once when the import is killed with SIGKILL, which leaves
/// nothing of the import behind. At the size: 1,000,000 rows.
#[test]
fn a_web_write_waits_for_a_million_row_import_and_a_killed_import_leaves_nothing() {
    let rows: usize = std::env::var("LIANSHI_SMOKE_IMPORT_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let t = Tmp::new("million");
    let big = t.path("million.csv");
    {
        let headers: Vec<&str> = lianshi_domain::enterprise::COLUMNS
            .iter()
            .map(|c| c.zh)
            .collect();
        let f = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(&big).unwrap());
        let mut w = lianshi_office::CsvWriter::new(f, &headers).unwrap();
        // Registration dates in the future would be refused; a demo seed other than serve's.
        let today = chrono::Utc::now().date_naive();
        for d in lianshi_domain::demo::enterprises(4242, rows)
            .filter(|d| d.registered_on.is_none_or(|r| r <= today))
        {
            w.write_row(&lianshi_domain::demo::template_row(&d))
                .unwrap();
        }
        w.finish().unwrap().flush().unwrap();
    }
    let (srv, _) = serve(&t);
    let tok = token(srv.port, "admin");
    let auth = format!("Bearer {tok}");
    let (s, _, body) = http(
        srv.port,
        "GET",
        "/api/v1/enterprises?per_page=1",
        &[("Authorization", &auth)],
        "",
    );
    assert_eq!(s, 200);
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    let uscc = v["items"][0]["uscc"].as_str().unwrap().to_string();
    let before = v["total"].as_i64().unwrap();

    // 1. Killed mid-way: the waiting write goes through, nothing of the import remains.
    let mut killed = import_writing(&t, &big);
    let write = order_in_background(srv.port, &tok, &uscc);
    // Give the request time to reach the server and queue for the writer, so the kill
    // happens while it waits (it succeeds either way; this makes the case the one named).
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        killed.try_wait().unwrap().is_none(),
        "the import must still be running when it is killed"
    );
    killed.kill().unwrap(); // SIGKILL
    killed.wait().unwrap();
    let (s, body, _) = write.join().unwrap();
    assert_eq!(s, 201, "the write made during the killed import: {body}");
    assert_eq!(
        total_enterprises(srv.port, &auth),
        before,
        "a killed import must leave nothing"
    );

    // 2. Complete: the write waits for the commit and succeeds; every row is there.
    let mut import = import_writing(&t, &big);
    let write = order_in_background(srv.port, &tok, &uscc);
    let (s, body, waited) = write.join().unwrap();
    let mut report = String::new();
    import
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut report)
        .unwrap();
    let status = import.wait().unwrap();
    assert!(status.success(), "import failed: {report}");
    assert_eq!(s, 201, "the write made during the import: {body}");
    eprintln!("the write waited {waited:.1} s for the {rows}-row import ({report})");
    // "…: N rows, N valid, 0 invalid; NEW new, UPD updated; written …"
    let num = |word: &str| -> i64 {
        let i = report.find(&format!(" {word}")).unwrap();
        report[..i]
            .rsplit(|c: char| !c.is_ascii_digit())
            .next()
            .unwrap()
            .parse()
            .unwrap()
    };
    let (created, updated) = (num("new,"), num("updated;"));
    assert!(report.contains("written"), "{report}");
    assert!(created + updated > 900_000.min(rows as i64 / 2), "{report}");
    assert_eq!(total_enterprises(srv.port, &auth), before + created);
}

/// A WebDriver session against chromedriver, spoken over our tiny HTTP client.
struct Browser {
    port: u16,
    session: String,
    driver: Child,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = http(
            self.port,
            "DELETE",
            &format!("/session/{}", self.session),
            &[],
            "",
        );
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Browser {
    fn start() -> Browser {
        let port = free_port();
        let driver = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver is required for the browser test (scripts/test.sh installs chromium-driver)");
        let start = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "chromedriver did not start"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        let profile =
            std::env::temp_dir().join(format!("lianshi_chrome_{}_{port}", std::process::id()));
        let caps = serde_json::json!({"capabilities": {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": {
            "binary": "/usr/bin/chromium",
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--window-size=1400,1000", format!("--user-data-dir={}", profile.display())]}}}});
        let (s, _, body) = http(
            port,
            "POST",
            "/session",
            &[("Content-Type", "application/json")],
            &caps.to_string(),
        );
        assert_eq!(s, 200, "{body}");
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        let session = v["value"]["sessionId"].as_str().unwrap().to_string();
        Browser {
            port,
            session,
            driver,
        }
    }

    fn cmd(&self, method: &str, path: &str, body: serde_json::Value) -> serde_json::Value {
        let body = if body.is_null() {
            String::new()
        } else {
            body.to_string()
        };
        let (s, _, text) = http(
            self.port,
            method,
            &format!("/session/{}{path}", self.session),
            &[("Content-Type", "application/json")],
            &body,
        );
        assert_eq!(s, 200, "{path}: {text}");
        serde_json::from_str::<serde_json::Value>(&text).unwrap()["value"].clone()
    }

    fn go(&self, url: &str) {
        self.cmd("POST", "/url", serde_json::json!({"url": url}));
    }

    fn find(&self, css: &str) -> String {
        let v = self.cmd(
            "POST",
            "/element",
            serde_json::json!({"using": "css selector", "value": css}),
        );
        v.as_object()
            .and_then(|o| o.values().next())
            .and_then(|v| v.as_str())
            .unwrap()
            .to_string()
    }

    fn type_into(&self, css: &str, text: &str) {
        let e = self.find(css);
        self.cmd(
            "POST",
            &format!("/element/{e}/value"),
            serde_json::json!({"text": text}),
        );
    }

    fn click(&self, css: &str) {
        let e = self.find(css);
        self.cmd(
            "POST",
            &format!("/element/{e}/click"),
            serde_json::json!({}),
        );
    }

    fn source(&self) -> String {
        self.cmd("GET", "/source", serde_json::Value::Null)
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// Polls the page source until `want` appears or 60 s pass. A click on a
    /// submit button returns once the click is dispatched; the POST, the
    /// redirect and the next page load may still be under way on a loaded
    /// CI machine. Returns the last source seen either way.
    fn source_once(&self, want: &str) -> String {
        let start = Instant::now();
        loop {
            let page = self.source();
            if page.contains(want) || start.elapsed() > Duration::from_secs(60) {
                return page;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    fn screenshot(&self, path: &Path) {
        use std::io::Write as _;
        let b64 = self.cmd("GET", "/screenshot", serde_json::Value::Null);
        let bytes = base64_decode(b64.as_str().unwrap());
        std::fs::File::create(path)
            .unwrap()
            .write_all(&bytes)
            .unwrap();
    }
}

fn base64_decode(s: &str) -> Vec<u8> {
    let val = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        _ => 63,
    };
    let clean: Vec<u8> = s
        .bytes()
        .filter(|c| !matches!(c, b'=' | b'\n' | b'\r'))
        .collect();
    let mut out = Vec::with_capacity(clean.len() * 3 / 4);
    for chunk in clean.chunks(4) {
        let n = chunk.iter().enumerate().fold(0u32, |acc, (i, c)| {
            acc | (u32::from(val(*c)) << (18 - 6 * i))
        });
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&bytes[..chunk.len().saturating_sub(1)]);
    }
    out
}

#[test]
fn a_real_browser_signs_in_and_browses_enterprises() {
    let t = Tmp::new("browser");
    let (srv, _) = serve(&t);
    let b = Browser::start();
    let base = format!("http://127.0.0.1:{}", srv.port);
    b.go(&format!("{base}/enterprises"));
    assert!(
        b.source().contains("name=\"password\""),
        "unauthenticated users land on the login form"
    );
    b.type_into("input[name=username]", "admin");
    b.type_into("input[name=password]", "Lianshi@2026");
    b.click("form button");
    let page = b.source_once("91330108");
    assert!(
        page.contains("91330108"),
        "after login the enterprise list shows credit codes; the page was:\n{page}"
    );
    let shots = Path::new(env!("CARGO_TARGET_TMPDIR"));
    b.screenshot(&shots.join("ui-enterprises.png"));
    b.go(&format!("{base}/"));
    assert!(
        b.source_once("<svg").contains("<svg"),
        "the workbench draws its charts as SVG"
    );
    b.screenshot(&shots.join("ui-workbench.png"));
    assert!(
        std::fs::metadata(shots.join("ui-workbench.png"))
            .unwrap()
            .len()
            > 10_000
    );
}
