//! A real SMTP server for the tests that send mail: aiosmtpd (started with the Python of
//! `scripts/python-venv`), its Maildir read back as decoded messages.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The interpreter with aiosmtpd: `PATIO_PYTHON`, else the one `scripts/python-venv`
/// sets up (and prints).
pub fn python() -> String {
    if let Ok(python) = std::env::var("PATIO_PYTHON") {
        if !python.is_empty() {
            return python;
        }
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/python-venv");
    let out = Command::new(&script)
        .stderr(Stdio::inherit())
        .output()
        .expect("run scripts/python-venv");
    assert!(out.status.success(), "scripts/python-venv failed");
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// aiosmtpd's Mailbox handler: every message it accepts lands in a Maildir.
pub struct MailServer {
    child: Child,
    maildir: PathBuf,
}

impl MailServer {
    pub fn start(port: u16, maildir: &Path) -> Self {
        let child = Command::new(python())
            .args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{port}"))
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(maildir)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start aiosmtpd (is it installed? run scripts/python-venv)");
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "aiosmtpd did not start"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Self {
            child,
            maildir: maildir.to_path_buf(),
        }
    }

    /// The messages received so far, oldest first, decoded.
    pub fn messages(&self) -> Vec<Mail> {
        let mut files: Vec<_> = ["new", "cur"]
            .iter()
            .filter_map(|d| std::fs::read_dir(self.maildir.join(d)).ok())
            .flatten()
            .filter_map(Result::ok)
            .map(|e| e.path())
            .collect();
        files.sort_by_key(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok());
        files
            .iter()
            .map(|p| Mail::parse(&std::fs::read_to_string(p).unwrap()))
            .collect()
    }

    /// Waits until `n` messages arrived, then a moment more to see that no more come.
    pub async fn expect(&self, n: usize) -> Vec<Mail> {
        let started = Instant::now();
        while self.messages().len() < n {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "{} of {n} messages arrived",
                self.messages().len()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        // Several notice passes of every replica run in this time.
        tokio::time::sleep(Duration::from_millis(3500)).await;
        let all = self.messages();
        assert_eq!(all.len(), n, "exactly {n} messages: {all:#?}");
        all
    }
}

impl Drop for MailServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One received message: the raw text, its To and Subject, the decoded body.
#[derive(Debug, Clone)]
pub struct Mail {
    pub raw: String,
    pub to: String,
    pub subject: String,
    pub body: String,
}

impl Mail {
    pub fn parse(raw: &str) -> Self {
        let raw = raw.replace("\r\n", "\n");
        let (head, body) = raw.split_once("\n\n").expect("headers and body");
        let header = |name: &str| {
            head.lines()
                .find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.eq_ignore_ascii_case(name).then(|| v.trim().to_owned())
                })
                .unwrap_or_default()
        };
        let encoding = header("Content-Transfer-Encoding").to_ascii_lowercase();
        assert!(
            encoding.is_empty() || encoding == "7bit" || encoding == "quoted-printable",
            "{encoding}"
        );
        let body = if encoding == "quoted-printable" {
            quoted_printable(body)
        } else {
            body.to_owned()
        };
        Self {
            to: header("To"),
            subject: header("Subject"),
            body,
            raw,
        }
    }

    /// A header of the message, by name.
    pub fn header(&self, name: &str) -> Option<String> {
        let (head, _) = self.raw.split_once("\n\n")?;
        head.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case(name).then(|| v.trim().to_owned())
        })
    }

    /// The first link in the body that starts with `prefix`.
    pub fn link(&self, prefix: &str) -> Option<String> {
        self.body
            .split_whitespace()
            .find(|w| w.starts_with(prefix))
            .map(str::to_owned)
    }

    pub fn text(&self) -> String {
        format!("{}\n{}", self.subject, self.body)
    }
}

fn quoted_printable(text: &str) -> String {
    let joined = text.replace("=\n", "");
    let mut out = Vec::new();
    let bytes = joined.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'=' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&joined[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
