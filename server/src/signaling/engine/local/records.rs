//! The call-record writer of this process (the engine's [`RecordSink`]): the engine hands
//! every new call and every milestone to an unbounded channel (never waiting on the
//! database while it signals), and one task
//! writes them in order, taking whatever queued up within [`GATHER`] of the first (up to
//! [`BATCH`] jobs) as one transaction of a few statements ([`records::write_batch`]):
//! under load the database sees one commit per burst instead of five statements per call.
//! A batch that keeps failing is written job by job, so one record the database refuses
//! does not take the others with it. Shutdown
//! closes the channel and waits for the writer to drain it, so no record is lost to a
//! restart. A write that needs a call's row (an agent's notes right after the call) first
//! waits for [`RecordWriter::written`]: a barrier queued behind everything handed over
//! before it.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use entity::calls::records::{self, Job, RecordWriter};
use entity::events::{BusinessEvent, EventBus};
use sea_orm::DatabaseConnection;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::signaling::engine::RecordSink;

/// The most jobs written in one transaction.
const BATCH: usize = 1024;

/// How long jobs may gather after the first of a batch arrives. A batch costs a few
/// statements whatever its size, so under load this turns about five statements per call
/// into a few per interval; a record reaches the database this much later at most.
const GATHER: Duration = Duration::from_millis(10);

/// Delays between attempts at one batch before its jobs are written one by one.
const RETRIES: [Duration; 3] = [
    Duration::from_millis(50),
    Duration::from_millis(500),
    Duration::from_secs(2),
];

/// What the writer is handed.
enum Item {
    Job(Job),
    /// Answer once everything queued before is written (or given up on).
    Written(oneshot::Sender<()>),
}

/// The sending side and the writer task.
pub struct LocalRecords {
    sender: Mutex<Option<mpsc::UnboundedSender<Item>>>,
    writer: Mutex<Option<JoinHandle<()>>>,
}

impl LocalRecords {
    /// Starts the writer on `db` (spawns its task: call it on a tokio runtime).
    #[must_use]
    pub fn start(db: &DatabaseConnection, events: Arc<dyn EventBus>) -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        let handle = tokio::spawn(write_all(db.clone(), events, rx));
        Self {
            sender: Mutex::new(Some(tx)),
            writer: Mutex::new(Some(handle)),
        }
    }

    fn sender(&self) -> MutexGuard<'_, Option<mpsc::UnboundedSender<Item>>> {
        self.sender.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Waits until every job queued before is written (at once after a drain).
    async fn barrier(&self) {
        let (tx, rx) = oneshot::channel();
        let queued = self
            .sender()
            .as_ref()
            .is_some_and(|sender| sender.send(Item::Written(tx)).is_ok());
        if queued {
            let _ = rx.await;
        }
    }

    /// Closes the queue and waits until everything queued is written.
    async fn close(&self) {
        self.sender().take();
        let writer = self
            .writer
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(writer) = writer {
            if let Err(e) = writer.await {
                tracing::error!(error = %e, "the call-record writer failed");
            }
        }
    }
}

impl RecordWriter for LocalRecords {
    fn written(&self) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        Box::pin(self.barrier())
    }
}

impl RecordSink for LocalRecords {
    fn push(&self, job: Job) {
        match self.sender().as_ref() {
            Some(tx) => {
                if tx.send(Item::Job(job)).is_err() {
                    tracing::error!("the call-record writer is gone; a record was lost");
                }
            }
            None => tracing::error!(
                ?job,
                "the call-record writer was drained; a record was lost"
            ),
        }
    }

    fn drain(&self) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        Box::pin(self.close())
    }
}

async fn write_all(
    db: DatabaseConnection,
    events: Arc<dyn EventBus>,
    mut rx: mpsc::UnboundedReceiver<Item>,
) {
    let mut items = Vec::with_capacity(BATCH);
    let mut jobs = Vec::with_capacity(BATCH);
    while rx.recv_many(&mut items, BATCH).await > 0 {
        let waited_for = |items: &[Item]| items.iter().any(|i| matches!(i, Item::Written(_)));
        if items.len() < BATCH && !waited_for(&items) {
            tokio::time::sleep(GATHER).await;
            while items.len() < BATCH {
                match rx.try_recv() {
                    Ok(item) => items.push(item),
                    Err(_) => break,
                }
            }
        }
        let mut waiting = Vec::new();
        for item in items.drain(..) {
            match item {
                Item::Job(job) => jobs.push(job),
                Item::Written(answer) => waiting.push(answer),
            }
        }
        if !jobs.is_empty() {
            for event in write(&db, &jobs).await {
                events.publish_event(event);
            }
            jobs.clear();
        }
        for answer in waiting {
            let _ = answer.send(());
        }
    }
}

/// Writes `batch` in one transaction, retrying after each of [`RETRIES`]; if it still
/// fails, writes its jobs one by one and logs those that cannot be written. Returns the
/// events of what was written (`businessEvents`).
async fn write(db: &DatabaseConnection, batch: &[Job]) -> Vec<BusinessEvent> {
    let mut attempt = 0;
    let error = loop {
        match records::write_batch(db, batch).await {
            Ok(events) => return events,
            Err(e) => match RETRIES.get(attempt) {
                Some(delay) => {
                    tracing::warn!(error = %e, jobs = batch.len(), "writing call records failed; retrying");
                    attempt += 1;
                    tokio::time::sleep(*delay).await;
                }
                None => break e,
            },
        }
    };
    if batch.len() > 1 {
        tracing::warn!(error = %error, jobs = batch.len(), "a batch of call records keeps failing; writing them one by one");
    }
    let mut events = Vec::new();
    for job in batch {
        match records::write(db, job).await {
            Ok(written) => events.extend(written),
            Err(e) => tracing::error!(error = %e, ?job, "a call record could not be written"),
        }
    }
    events
}
