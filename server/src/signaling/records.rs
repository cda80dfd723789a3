//! The call-record writer: the hub hands every new call and every [`Milestone`] to an
//! unbounded channel (never waiting on the database while it signals), and one task
//! writes them in order. Shutdown closes the channel and waits for the writer to drain it,
//! so no record is lost to a restart.

use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::Duration;

use chrono::{DateTime, Utc};
use entity::calls::protocol::CallId;
use entity::calls::records::{self, NewCall};
use entity::calls::Milestone;
use sea_orm::DatabaseConnection;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use uuid::Uuid;

/// Something to write.
#[derive(Debug)]
pub(super) enum Job {
    /// A call was requested.
    Call(NewCall),
    /// A call reached a milestone at this time.
    Milestone {
        business_id: Uuid,
        call_id: CallId,
        at: DateTime<Utc>,
        milestone: Milestone,
    },
}

/// Delays between attempts at one write before it is given up (and logged).
const RETRIES: [Duration; 3] = [
    Duration::from_millis(50),
    Duration::from_millis(500),
    Duration::from_secs(2),
];

/// The sending side and the writer task; started once the hub has a database.
#[derive(Default)]
pub(super) struct Records {
    started: OnceLock<()>,
    sender: Mutex<Option<mpsc::UnboundedSender<Job>>>,
    writer: Mutex<Option<JoinHandle<()>>>,
}

impl Records {
    fn sender(&self) -> MutexGuard<'_, Option<mpsc::UnboundedSender<Job>>> {
        self.sender.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Starts the writer on `db` (only the first call does anything).
    pub(super) fn start(&self, db: &DatabaseConnection) {
        self.started.get_or_init(|| {
            let (tx, rx) = mpsc::unbounded_channel();
            let handle = tokio::spawn(write_all(db.clone(), rx));
            *self.sender() = Some(tx);
            *self.writer.lock().unwrap_or_else(PoisonError::into_inner) = Some(handle);
        });
    }

    /// Queues a write without waiting.
    pub(super) fn push(&self, job: Job) {
        match self.sender().as_ref() {
            Some(tx) => {
                if tx.send(job).is_err() {
                    tracing::error!("the call-record writer is gone; a record was lost");
                }
            }
            None => tracing::error!(?job, "no call-record writer; a record was lost"),
        }
    }

    /// Closes the queue and waits until everything queued is written.
    pub(super) async fn drain(&self) {
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

async fn write_all(db: DatabaseConnection, mut rx: mpsc::UnboundedReceiver<Job>) {
    while let Some(job) = rx.recv().await {
        let mut attempt = 0;
        loop {
            let written = match &job {
                Job::Call(new) => records::insert_call(&db, new).await,
                Job::Milestone {
                    business_id,
                    call_id,
                    at,
                    milestone,
                } => records::record(&db, *business_id, *call_id, *at, milestone).await,
            };
            match written {
                Ok(()) => break,
                Err(e) => match RETRIES.get(attempt) {
                    Some(delay) => {
                        tracing::warn!(error = %e, "writing a call record failed; retrying");
                        attempt += 1;
                        tokio::time::sleep(*delay).await;
                    }
                    None => {
                        tracing::error!(error = %e, ?job, "a call record could not be written");
                        break;
                    }
                },
            }
        }
    }
}
