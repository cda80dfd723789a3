//! One webhook attempt over real sockets: it goes to the checked address with the URL's
//! host, follows no redirect, gives up on a slow receiver at the deadline, and stops
//! reading an answer at the size cap. (The whole delivery story, on both databases, is in
//! the server's `webhooks` tests.)
#![allow(clippy::unwrap_used)]

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use entity::webhooks::{AttemptOutcome, TargetUrl};
use jobs::webhooks::http::{post, Request};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// How the raw receiver answers.
#[derive(Clone, Copy)]
enum Answer {
    Ok,
    RedirectTo(u16),
    After(Duration),
    Endless,
}

/// A bare HTTP/1.1 receiver: records each request's head and body, answers as told.
struct RawReceiver {
    addr: SocketAddr,
    requests: Arc<Mutex<Vec<String>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for RawReceiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn read_request(stream: &mut TcpStream) -> String {
    let mut data = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = stream.read(&mut buf).await.unwrap_or(0);
        if n == 0 {
            break;
        }
        data.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&data).into_owned();
        if let Some(end) = text.find("\r\n\r\n") {
            let length = text[..end]
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length:")
                        .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                })
                .unwrap_or(0);
            if data.len() >= end + 4 + length {
                break;
            }
        }
    }
    String::from_utf8_lossy(&data).into_owned()
}

async fn answer(mut stream: TcpStream, how: Answer) {
    match how {
        Answer::Ok => {
            let _ = stream
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
                .await;
        }
        Answer::RedirectTo(port) => {
            let head = format!(
                "HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:{port}/elsewhere\r\nContent-Length: 0\r\n\r\n"
            );
            let _ = stream.write_all(head.as_bytes()).await;
        }
        Answer::After(wait) => {
            tokio::time::sleep(wait).await;
            let _ = stream
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
                .await;
        }
        Answer::Endless => {
            let _ = stream
                .write_all(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
                .await;
            let chunk = format!("4000\r\n{}\r\n", "x".repeat(0x4000));
            while stream.write_all(chunk.as_bytes()).await.is_ok() {}
        }
    }
}

impl RawReceiver {
    async fn start(how: Answer) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let seen = requests.clone();
        let task = tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let seen = seen.clone();
                tokio::spawn(async move {
                    let request = read_request(&mut stream).await;
                    seen.lock().unwrap().push(request);
                    answer(stream, how).await;
                });
            }
        });
        Self {
            addr,
            requests,
            task,
        }
    }

    fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }
}

/// Posts a signed-looking body to `url`, connecting to `to`.
async fn attempt(url: &str, to: SocketAddr, timeout: Duration) -> AttemptOutcome {
    let target = TargetUrl::parse(url).unwrap();
    let request = Request {
        target: &target,
        addresses: &[to],
        webhook_id: "msg_0123",
        timestamp: 1_800_000_000,
        signature: "v1,c2lnbmF0dXJl".to_owned(),
        body: r#"{"type":"webhook.test"}"#.to_owned(),
    };
    post(&request, timeout, 64 * 1024).await
}

#[tokio::test]
async fn the_request_goes_to_the_checked_address_with_the_urls_host() {
    let receiver = RawReceiver::start(Answer::Ok).await;
    let port = receiver.addr.port();
    // The name resolves nowhere: only the checked address is used.
    let url = format!("http://hooks.example.invalid:{port}/in?x=1");
    let outcome = attempt(&url, receiver.addr, Duration::from_secs(5)).await;
    assert!(
        matches!(outcome, AttemptOutcome::Answered { status: 200, .. }),
        "{outcome:?}"
    );
    // Header names as hyper writes them (lowercase); values as sent.
    let request = receiver.requests().remove(0);
    assert!(
        request.starts_with("POST /in?x=1 HTTP/1.1\r\n"),
        "{request}"
    );
    assert!(
        request.contains(&format!("host: hooks.example.invalid:{port}\r\n")),
        "{request}"
    );
    assert!(request.contains("webhook-id: msg_0123\r\n"), "{request}");
    assert!(
        request.contains("webhook-timestamp: 1800000000\r\n"),
        "{request}"
    );
    assert!(
        request.contains("webhook-signature: v1,c2lnbmF0dXJl\r\n"),
        "{request}"
    );
    assert!(
        request.contains("content-type: application/json\r\n"),
        "{request}"
    );
    assert!(request.ends_with(r#"{"type":"webhook.test"}"#), "{request}");
}

#[tokio::test]
async fn redirects_are_not_followed() {
    let elsewhere = RawReceiver::start(Answer::Ok).await;
    let receiver = RawReceiver::start(Answer::RedirectTo(elsewhere.addr.port())).await;
    let url = format!("http://127.0.0.1:{}/in", receiver.addr.port());
    let outcome = attempt(&url, receiver.addr, Duration::from_secs(5)).await;
    assert!(
        matches!(outcome, AttemptOutcome::Answered { status: 302, .. }),
        "{outcome:?}"
    );
    assert!(outcome.error().unwrap().contains("redirect"));
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(elsewhere.requests().is_empty(), "the redirect was followed");
}

#[tokio::test]
async fn a_slow_receiver_is_given_up_at_the_deadline() {
    let receiver = RawReceiver::start(Answer::After(Duration::from_secs(30))).await;
    let url = format!("http://127.0.0.1:{}/in", receiver.addr.port());
    let started = Instant::now();
    let outcome = attempt(&url, receiver.addr, Duration::from_millis(400)).await;
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    match outcome {
        AttemptOutcome::Failed { reason, elapsed_ms } => {
            assert!(reason.contains("No answer within"), "{reason}");
            assert!(elapsed_ms.unwrap() >= 400);
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn an_endless_answer_is_read_only_up_to_the_cap() {
    let receiver = RawReceiver::start(Answer::Endless).await;
    let url = format!("http://127.0.0.1:{}/in", receiver.addr.port());
    let started = Instant::now();
    let outcome = attempt(&url, receiver.addr, Duration::from_secs(10)).await;
    assert!(
        matches!(outcome, AttemptOutcome::Answered { status: 200, .. }),
        "{outcome:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "kept reading for {:?}",
        started.elapsed()
    );
}
