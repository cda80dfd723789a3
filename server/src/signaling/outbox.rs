//! A device's outbox: the bounded queue of serialised frames its connection task writes
//! to the socket, filled without waiting by presence and calls, and the signals that end
//! the task early (the server is stopping; another socket took the session over; the
//! credential behind the socket was revoked or changed).
//!
//! Hand-rolled rather than a tokio `mpsc` channel because an idle agent connection should
//! cost a few kilobytes in all, and `mpsc` allocates a 32-slot block (≈ 1.5 KiB) per channel
//! up front; this queue allocates only while frames wait. The signals ride on the same
//! waker, so the connection loop waits on one thing for all three: a `Notify` or `watch`
//! per signal would lock a waiter list on every turn of the loop (the shutdown one shared
//! by every connection of the process).

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};

use axum::extract::ws::Utf8Bytes;
use futures::task::AtomicWaker;

use super::engine::Mailbox;

struct Shared {
    queue: Mutex<VecDeque<Utf8Bytes>>,
    /// The connection task, when it waits for a frame.
    ready: AtomicWaker,
    capacity: usize,
    /// The connection task is gone: nothing will be read any more.
    closed: AtomicBool,
    /// [`Signal`] bits raised for the connection task.
    signals: AtomicU8,
}

/// What ends a connection's loop before its socket does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signal {
    /// The server is shutting down: send what is queued, then `reconnect`, then close.
    Stop = 1,
    /// Another socket resumed this session: close with 4005.
    Kicked = 2,
    /// The credential behind the socket was revoked (signed out, removed from the
    /// business…): close with 4001 and end its session at once (no resume).
    Revoked = 4,
    /// The credential now grants something else (role changed, business switched, session
    /// renewed): close with 4001; the session may be resumed by the same member.
    Reauth = 8,
}

/// What the connection task is woken for.
#[derive(Debug, PartialEq, Eq)]
pub enum Next {
    /// A signal (checked before frames, in the order [`Signal::Stop`], [`Signal::Kicked`],
    /// [`Signal::Revoked`], [`Signal::Reauth`]).
    Signal(Signal),
    /// A frame to write.
    Frame(Utf8Bytes),
}

impl Shared {
    fn queue(&self) -> MutexGuard<'_, VecDeque<Utf8Bytes>> {
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Mailbox for Shared {
    fn post(&self, text: Utf8Bytes) -> Result<(), Refused> {
        if self.closed.load(Ordering::Acquire) {
            return Err(Refused::Closed);
        }
        {
            let mut queue = self.queue();
            if queue.len() >= self.capacity {
                return Err(Refused::Full);
            }
            queue.push_back(text);
        }
        self.ready.wake();
        Ok(())
    }
}

/// Why a frame was not queued.
#[derive(Debug, PartialEq, Eq)]
pub enum Refused {
    /// The device is not reading: its queue is full.
    Full,
    /// The connection is gone.
    Closed,
}

/// The sending side (cheap to clone; the delivery seam holds one per greeted socket).
#[derive(Clone)]
pub struct Outbox(Arc<Shared>);

/// The receiving side, owned by the connection task.
pub struct Queue(Arc<Shared>);

/// An outbox holding at most `capacity` frames, and its queue.
#[must_use]
pub fn outbox(capacity: usize) -> (Outbox, Queue) {
    let shared = Arc::new(Shared {
        queue: Mutex::new(VecDeque::new()),
        ready: AtomicWaker::new(),
        capacity,
        closed: AtomicBool::new(false),
        signals: AtomicU8::new(0),
    });
    (Outbox(shared.clone()), Queue(shared))
}

impl Outbox {
    /// Queues a frame without waiting.
    ///
    /// # Errors
    /// [`Refused`] when the queue is full or the connection gone; the frame is dropped.
    pub fn try_send(&self, text: Utf8Bytes) -> Result<(), Refused> {
        self.0.post(text)
    }

    /// This outbox as a [`Mailbox`] (the same queue, no copy).
    #[must_use]
    pub fn mailbox(&self) -> Arc<dyn Mailbox> {
        self.0.clone()
    }

    /// Raises `signal` for the connection task (once is enough; repeats are harmless).
    pub fn signal(&self, signal: Signal) {
        self.0.signals.fetch_or(signal as u8, Ordering::AcqRel);
        self.0.ready.wake();
    }
}

impl std::fmt::Debug for Outbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outbox")
            .field("queued", &self.0.queue().len())
            .finish_non_exhaustive()
    }
}

impl Queue {
    /// The next frame, waiting for one. Cancel-safe: a frame is taken only when returned.
    #[cfg(test)]
    pub async fn recv(&mut self) -> Utf8Bytes {
        loop {
            if let Next::Frame(text) = std::future::poll_fn(|cx| self.poll_next(cx)).await {
                return text;
            }
        }
    }

    /// A raised signal, else the next frame, else `Pending` with the task registered to be
    /// woken by the next of either. Registering is a few atomic operations, so a connection
    /// loop can poll this on every turn without arming a fresh notification each time.
    /// A signal stays raised: it is returned again on every later poll.
    pub fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<Next> {
        if let Some(next) = self.ready() {
            return Poll::Ready(next);
        }
        self.0.ready.register(cx.waker());
        // A frame or signal that came between the first look and the registration woke
        // nobody.
        match self.ready() {
            Some(next) => Poll::Ready(next),
            None => Poll::Pending,
        }
    }

    fn ready(&mut self) -> Option<Next> {
        let signals = self.0.signals.load(Ordering::Acquire);
        if signals != 0 {
            let raised = [
                Signal::Stop,
                Signal::Kicked,
                Signal::Revoked,
                Signal::Reauth,
            ]
            .into_iter()
            .find(|&s| signals & s as u8 != 0);
            if let Some(signal) = raised {
                return Some(Next::Signal(signal));
            }
        }
        self.try_recv().map(Next::Frame)
    }

    /// The next frame if one is waiting.
    pub fn try_recv(&mut self) -> Option<Utf8Bytes> {
        let mut queue = self.0.queue();
        let text = queue.pop_front();
        if queue.is_empty() && queue.capacity() > 64 {
            // A burst grew the buffer; an idle connection gives it back.
            queue.shrink_to_fit();
        }
        text
    }
}

impl Drop for Queue {
    fn drop(&mut self) {
        self.0.closed.store(true, Ordering::Release);
        self.0.queue().clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn frames_come_out_in_order_up_to_the_capacity() {
        let (tx, mut rx) = outbox(2);
        assert_eq!(tx.try_send("a".into()), Ok(()));
        assert_eq!(tx.clone().try_send("b".into()), Ok(()));
        assert_eq!(tx.try_send("c".into()), Err(Refused::Full));
        assert_eq!(rx.recv().await.as_str(), "a");
        assert_eq!(
            rx.try_recv().map(|t| t.as_str().to_owned()),
            Some("b".into())
        );
        assert_eq!(rx.try_recv(), None);
        let waiting = tokio::spawn(async move { rx.recv().await });
        tokio::task::yield_now().await;
        assert_eq!(tx.try_send("d".into()), Ok(()));
        assert_eq!(
            waiting.await.map(|t| t.as_str().to_owned()).ok(),
            Some("d".into())
        );
        assert_eq!(
            tx.try_send("e".into()),
            Err(Refused::Closed),
            "the queue is gone"
        );
    }

    #[tokio::test]
    async fn signals_wake_the_task_and_come_before_frames() {
        let (tx, mut rx) = outbox(4);
        assert_eq!(tx.try_send("a".into()), Ok(()));
        let next = |rx: &mut Queue| {
            futures::FutureExt::now_or_never(std::future::poll_fn(|cx| rx.poll_next(cx)))
        };
        tx.signal(Signal::Kicked);
        assert_eq!(next(&mut rx), Some(Next::Signal(Signal::Kicked)));
        tx.signal(Signal::Stop);
        assert_eq!(next(&mut rx), Some(Next::Signal(Signal::Stop)), "stop wins");
        assert_eq!(rx.try_recv().as_deref(), Some("a"), "frames stay queued");

        let (tx, mut rx) = outbox(4);
        tx.signal(Signal::Reauth);
        assert_eq!(next(&mut rx), Some(Next::Signal(Signal::Reauth)));
        tx.signal(Signal::Revoked);
        assert_eq!(
            next(&mut rx),
            Some(Next::Signal(Signal::Revoked)),
            "revoked wins"
        );

        let (tx, mut rx) = outbox(4);
        let waiting =
            tokio::spawn(async move { std::future::poll_fn(|cx| rx.poll_next(cx)).await });
        tokio::task::yield_now().await;
        tx.signal(Signal::Stop);
        assert_eq!(waiting.await.ok(), Some(Next::Signal(Signal::Stop)));
    }
}
