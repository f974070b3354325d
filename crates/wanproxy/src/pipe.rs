//! One direction of a proxied connection: read chunks as they arrive, stamp each with its
//! release time, and write it to the other socket when that time comes.
//!
//! Order: a chunk's release time is `max(previous release, arrival + one-way delay)`, so a
//! jitter draw never lets later bytes overtake earlier ones, and the end of stream (a
//! half-close) is released after the last byte, like any chunk.
//!
//! Memory: at most `buffer_bytes` of data (plus one read buffer) are queued per direction;
//! when the queue is full the reader stops reading, the kernel's receive window fills, and
//! the sender slows down, as a slow link would make it.

use std::io;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::{mpsc, OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

use crate::config::CHUNK_BYTES;
use crate::traffic::LinkCounters;
use crate::{LatencyTable, RegionPair};

/// Most chunks queued per direction, however small: bounds the bookkeeping when a sender
/// writes a byte at a time.
const MAX_QUEUED_CHUNKS: usize = 16 * 1024;

/// Where one connection's delays come from: the shared table, looked up for every chunk so
/// a runtime change applies to the next bytes.
#[derive(Clone)]
pub(crate) struct DelaySource {
    pub(crate) table: Arc<LatencyTable>,
    /// `None`: no delay (same region, or a source address that maps to no region).
    pub(crate) pair: Option<RegionPair>,
}

impl DelaySource {
    fn sample(&self) -> Duration {
        match &self.pair {
            Some(pair) => self.table.get(pair).sample_one_way(),
            None => Duration::ZERO,
        }
    }
}

enum Payload {
    Data(Vec<u8>),
    /// The sender shut down its write side: shut ours down too.
    Eof,
}

struct Chunk {
    payload: Payload,
    release: Instant,
    /// Returns the chunk's bytes to the direction's budget when the chunk is written.
    _budget: Option<OwnedSemaphorePermit>,
}

/// Copies `reader` to `writer` with delays until the reader's end of stream has been
/// delivered as a write shutdown. Any I/O error ends it with that error.
pub(crate) async fn pipe<R, W>(
    reader: R,
    writer: W,
    delay: &DelaySource,
    buffer_bytes: usize,
    forwarded: &AtomicU64,
) -> io::Result<()>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let budget = Arc::new(Semaphore::new(buffer_bytes));
    let (tx, rx) = mpsc::channel(MAX_QUEUED_CHUNKS);
    tokio::try_join!(
        read_chunks(reader, tx, delay, budget),
        write_chunks(writer, rx, forwarded)
    )?;
    Ok(())
}

async fn read_chunks<R: AsyncRead + Unpin>(
    mut reader: R,
    tx: mpsc::Sender<Chunk>,
    delay: &DelaySource,
    budget: Arc<Semaphore>,
) -> io::Result<()> {
    let mut buf = vec![0u8; CHUNK_BYTES];
    let mut release = Instant::now();
    loop {
        let n = reader.read(&mut buf).await?;
        release = release.max(Instant::now() + delay.sample());
        let chunk = if n == 0 {
            Chunk {
                payload: Payload::Eof,
                release,
                _budget: None,
            }
        } else {
            // n <= CHUNK_BYTES <= buffer_bytes (validated), so the wait always ends.
            let permit = Arc::clone(&budget)
                .acquire_many_owned(n as u32)
                .await
                .map_err(io::Error::other)?;
            Chunk {
                payload: Payload::Data(buf[..n].to_vec()),
                release,
                _budget: Some(permit),
            }
        };
        // A send fails only when the writer has already returned an error, which
        // `try_join!` reports; stopping here is all that is left to do.
        if tx.send(chunk).await.is_err() || n == 0 {
            return Ok(());
        }
    }
}

async fn write_chunks<W: AsyncWrite + Unpin>(
    mut writer: W,
    mut rx: mpsc::Receiver<Chunk>,
    forwarded: &AtomicU64,
) -> io::Result<()> {
    while let Some(chunk) = rx.recv().await {
        if chunk.release > Instant::now() {
            tokio::time::sleep_until(chunk.release).await;
        }
        match chunk.payload {
            Payload::Data(bytes) => {
                writer.write_all(&bytes).await?;
                LinkCounters::add(forwarded, bytes.len());
            }
            Payload::Eof => {
                writer.shutdown().await?;
                return Ok(());
            }
        }
    }
    Ok(())
}
