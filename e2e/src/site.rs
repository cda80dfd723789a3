//! A tiny stand-in for a business's own web site: one HTML page on its own loopback port
//! (so it is a different origin from the server under test), for embedding the widget.

use std::sync::Arc;

use anyhow::Context;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Serves `html` at `/`; every other path answers 204 (no favicon noise in the console).
pub struct StaticSite {
    pub base: String,
    task: tokio::task::JoinHandle<()>,
}

impl StaticSite {
    /// Starts serving on a free port of 127.0.0.1.
    ///
    /// # Errors
    /// When no port can be bound.
    pub async fn start(html: String) -> anyhow::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .context("binding the static site")?;
        let base = format!("http://{}", listener.local_addr()?);
        let html = Arc::new(html);
        let task = tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let html = html.clone();
                tokio::spawn(async move {
                    let _ = answer(socket, &html).await;
                });
            }
        });
        Ok(Self { base, task })
    }
}

impl Drop for StaticSite {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Reads one request's head and answers it, then closes the connection.
async fn answer(mut socket: TcpStream, html: &str) -> std::io::Result<()> {
    let mut head = Vec::new();
    let mut buf = [0u8; 2048];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 16 * 1024 {
        let n = socket.read(&mut buf).await?;
        if n == 0 {
            return Ok(());
        }
        head.extend_from_slice(&buf[..n]);
    }
    let head = String::from_utf8_lossy(&head);
    let path = head.split_whitespace().nth(1).unwrap_or("/");
    let response = if path == "/" || path.starts_with("/?") {
        format!(
            "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\n\
             Cache-Control: no-store\r\nConnection: close\r\n\r\n{html}",
            html.len()
        )
    } else {
        "HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n".to_owned()
    };
    socket.write_all(response.as_bytes()).await?;
    socket.shutdown().await
}
