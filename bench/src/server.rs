//! The release binary as a child process, and a minimal HTTP client to drive it: shared by the
//! benchmarks that measure the real server (`rss`, `http`).

use anyhow::{Context, anyhow, bail};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// One HTTP response.
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Resp {
    /// The value of the cookie `name` set by the response.
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case("set-cookie"))
            .find_map(|(_, v)| {
                let first = v.split(';').next()?;
                let (k, v) = first.split_once('=')?;
                (k.trim() == name).then(|| v.trim().to_string())
            })
    }

    /// The body as JSON.
    pub fn json(&self) -> anyhow::Result<serde_json::Value> {
        serde_json::from_slice(&self.body).context("response body is not JSON")
    }
}

/// A minimal HTTP/1.0 client (no chunked bodies, connection closed after each response).
pub fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, String)],
    body: &[u8],
) -> anyhow::Result<Resp> {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
    s.set_read_timeout(Some(Duration::from_secs(120)))?;
    let mut req = format!(
        "{method} {path} HTTP/1.0\r\nHost: {addr}\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes())?;
    s.write_all(body)?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)?;
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| anyhow!("no HTTP header in response to {path}"))?;
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| anyhow!("bad status line for {path}"))?;
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    Ok(Resp {
        status,
        headers,
        body: raw[split + 4..].to_vec(),
    })
}

/// `s` percent-encoded for a form body.
pub fn form_escape(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// The release binary, built first when run through cargo.
pub fn binary() -> anyhow::Result<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    if let Ok(cargo) = std::env::var("CARGO") {
        let st = Command::new(cargo)
            .args([
                "build",
                "--release",
                "-q",
                "-p",
                "lianshi",
                "--bin",
                "lianshi",
            ])
            .current_dir(&root)
            .status()?;
        if !st.success() {
            bail!("cargo build --release -p lianshi failed");
        }
    }
    let bin = root.join("target/release/lianshi");
    if !bin.exists() {
        bail!(
            "{} is missing: run `cargo build --release -p lianshi`",
            bin.display()
        );
    }
    Ok(bin)
}

/// `lianshi --db DB serve --demo` on a free loopback port, killed when dropped.
pub struct Server {
    child: Child,
    pub addr: SocketAddr,
    /// How long it took to answer `/healthz` (including the demo load).
    pub startup: Duration,
}

impl Server {
    /// Start the binary on `db` with its log in `log`, and wait until `/healthz` answers.
    pub fn start(bin: &Path, db: &str, log: &Path) -> anyhow::Result<Server> {
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse()?;
        let out = std::fs::File::create(log)?;
        let t = Instant::now();
        let child = Command::new(bin)
            .args(["--db", db, "serve", "--demo", "--addr", &addr.to_string()])
            .stdin(Stdio::null())
            .stdout(out.try_clone()?)
            .stderr(out)
            .spawn()
            .with_context(|| format!("cannot start {}", bin.display()))?;
        let mut server = Server {
            child,
            addr,
            startup: Duration::ZERO,
        };
        loop {
            if let Ok(r) = http(addr, "GET", "/healthz", &[], b"")
                && r.status == 200
            {
                break;
            }
            if let Some(st) = server.child.try_wait()? {
                bail!(
                    "server exited with {st}: {}",
                    std::fs::read_to_string(log).unwrap_or_default()
                );
            }
            if t.elapsed() > Duration::from_secs(180) {
                bail!("server not healthy after 180 s");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        server.startup = t.elapsed();
        Ok(server)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// An API token for the demo account `user`.
    pub fn token(&self, user: &str) -> anyhow::Result<String> {
        let body = serde_json::json!({
            "username": user,
            "password": lianshi_domain::demo::DEMO_PASSWORD,
        })
        .to_string();
        let r = http(
            self.addr,
            "POST",
            "/api/v1/auth/token",
            &[("Content-Type", "application/json".into())],
            body.as_bytes(),
        )?;
        let v = r.json()?;
        Ok(v["token"]
            .as_str()
            .ok_or_else(|| anyhow!("no token for {user}: {v}"))?
            .to_string())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
