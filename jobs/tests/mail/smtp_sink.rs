//! A small SMTP server for tests: speaks enough SMTP (EHLO/HELO, MAIL, RCPT, DATA, RSET,
//! NOOP, QUIT) for lettre, records what it accepts, and can be told to refuse.
//!
//! Written here rather than taken from crates.io: `mailin-embedded` serves on blocking
//! threads forever (no way to stop it per test) and pulls rustls with its default crypto
//! provider, which the workspace keeps off (everything is on ring).

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};

/// How the sink answers.
#[derive(Clone, Debug, Default)]
pub struct Behaviour {
    /// Answer this many `DATA` commands with `451` (a transient failure) before accepting.
    pub fail_first_data: usize,
    /// Answer every `RCPT` with `550` (a permanent failure).
    pub reject_recipients: bool,
    /// Wait this long before accepting a message (a slow server).
    pub accept_delay: Duration,
}

/// One accepted message.
#[derive(Clone, Debug)]
pub struct Received {
    pub from: String,
    pub to: Vec<String>,
    /// The raw message as sent after `DATA`, dot-unstuffed, lines joined with `\r\n`.
    pub data: String,
}

#[derive(Debug, Default)]
struct State {
    behaviour: Behaviour,
    messages: Vec<Received>,
    data_commands: Vec<Instant>,
    rcpt_commands: usize,
}

/// The running sink; stops (with its connections) when dropped.
pub struct SmtpSink {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    task: JoinHandle<()>,
}

impl SmtpSink {
    pub async fn start(behaviour: Behaviour) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(Mutex::new(State {
            behaviour,
            ..State::default()
        }));
        let task = tokio::spawn(accept_loop(listener, state.clone()));
        Self { addr, state, task }
    }

    /// `smtp://127.0.0.1:PORT` (plain SMTP, no TLS).
    pub fn url(&self) -> String {
        format!("smtp://{}", self.addr)
    }

    pub fn messages(&self) -> Vec<Received> {
        lock(&self.state).messages.clone()
    }

    /// When each `DATA` command arrived, refused or not.
    pub fn data_commands(&self) -> Vec<Instant> {
        lock(&self.state).data_commands.clone()
    }

    pub fn rcpt_commands(&self) -> usize {
        lock(&self.state).rcpt_commands
    }

    /// Waits until `count` messages arrived, failing the test after `timeout`.
    pub async fn wait_for_messages(&self, count: usize, timeout: Duration) -> Vec<Received> {
        let deadline = Instant::now() + timeout;
        loop {
            let messages = self.messages();
            if messages.len() >= count {
                return messages;
            }
            assert!(
                Instant::now() < deadline,
                "expected {count} message(s) within {timeout:?}, got {}",
                messages.len()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        // Aborting the accept loop drops its JoinSet, which aborts every connection.
        self.task.abort();
    }
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    state
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

async fn accept_loop(listener: TcpListener, state: Arc<Mutex<State>>) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    connections.spawn(serve(stream, state.clone()));
                }
                Err(_) => return,
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

async fn serve(stream: TcpStream, state: Arc<Mutex<State>>) {
    // Errors just end the connection, as a real server would.
    let _ = session(stream, &state).await;
}

async fn session(stream: TcpStream, state: &Mutex<State>) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    let mut from: Option<String> = None;
    let mut to: Vec<String> = Vec::new();
    write
        .write_all(b"220 sink.test ESMTP test sink\r\n")
        .await?;
    loop {
        let mut line = String::new();
        if lines.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let command = line.trim_end().to_owned();
        let verb = command
            .split([' ', ':'])
            .next()
            .unwrap_or("")
            .to_ascii_uppercase();
        let reply: &[u8] = match verb.as_str() {
            "EHLO" => b"250-sink.test\r\n250 8BITMIME\r\n",
            "HELO" => b"250 sink.test\r\n",
            "NOOP" => b"250 OK\r\n",
            "RSET" => {
                from = None;
                to.clear();
                b"250 OK\r\n"
            }
            "QUIT" => {
                write.write_all(b"221 Bye\r\n").await?;
                return Ok(());
            }
            "MAIL" => {
                from = Some(address(&command));
                to.clear();
                b"250 OK\r\n"
            }
            "RCPT" => {
                let reject = {
                    let mut s = lock(state);
                    s.rcpt_commands += 1;
                    s.behaviour.reject_recipients
                };
                if from.is_none() {
                    b"503 MAIL first\r\n"
                } else if reject {
                    b"550 No such user here\r\n"
                } else {
                    to.push(address(&command));
                    b"250 OK\r\n"
                }
            }
            "DATA" => {
                let fail = {
                    let mut s = lock(state);
                    s.data_commands.push(Instant::now());
                    s.data_commands.len() <= s.behaviour.fail_first_data
                };
                if from.is_none() || to.is_empty() {
                    b"503 RCPT first\r\n"
                } else if fail {
                    b"451 Try again later\r\n"
                } else {
                    write
                        .write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                        .await?;
                    let data = read_data(&mut lines).await?;
                    let delay = lock(state).behaviour.accept_delay;
                    tokio::time::sleep(delay).await;
                    let message = Received {
                        from: from.take().unwrap_or_default(),
                        to: std::mem::take(&mut to),
                        data,
                    };
                    lock(state).messages.push(message);
                    b"250 OK queued\r\n"
                }
            }
            _ => b"502 Command not implemented\r\n",
        };
        write.write_all(reply).await?;
    }
}

/// Reads the message after `354` up to the lone `.` line, undoing dot-stuffing.
async fn read_data<R: AsyncBufReadExt + Unpin>(lines: &mut R) -> std::io::Result<String> {
    let mut data = Vec::new();
    loop {
        let mut line = String::new();
        if lines.read_line(&mut line).await? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        let line = line.trim_end_matches(['\r', '\n']);
        if line == "." {
            return Ok(data.join("\r\n"));
        }
        data.push(line.strip_prefix('.').unwrap_or(line).to_owned());
    }
}

/// The address inside `<...>` of a `MAIL FROM:` / `RCPT TO:` command.
fn address(command: &str) -> String {
    command
        .split_once('<')
        .and_then(|(_, rest)| rest.split_once('>'))
        .map(|(addr, _)| addr.to_owned())
        .unwrap_or_default()
}
