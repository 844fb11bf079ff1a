//! A slot holding only the latest value: the producer overwrites, never waits, and counts what
//! it overwrote unread; the consumer takes the newest value or waits for one.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::Duration;

/// The latest value of a stream.
pub struct LatestSlot<T> {
    value: Mutex<Option<T>>,
    ready: Condvar,
    dropped: AtomicU64,
    closed: AtomicBool,
    waker: Mutex<Option<Box<dyn Fn() + Send>>>,
}

impl<T> Default for LatestSlot<T> {
    fn default() -> Self {
        Self {
            value: Mutex::new(None),
            ready: Condvar::new(),
            dropped: AtomicU64::new(0),
            closed: AtomicBool::new(false),
            waker: Mutex::new(None),
        }
    }
}

impl<T> LatestSlot<T> {
    /// An empty slot.
    pub fn new() -> Self {
        Self::default()
    }

    /// Calls `wake` after every `put` (the UI passes its repaint request here).
    pub fn set_waker(&self, wake: impl Fn() + Send + 'static) {
        *lock(&self.waker) = Some(Box::new(wake));
    }

    /// Stores `value`, replacing (and counting as dropped) a value nobody took.
    pub fn put(&self, value: T) {
        if lock(&self.value).replace(value).is_some() {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
        self.ready.notify_all();
        if let Some(wake) = lock(&self.waker).as_ref() {
            wake();
        }
    }

    /// Takes the newest value, if there is one, without waiting.
    pub fn take(&self) -> Option<T> {
        lock(&self.value).take()
    }

    /// Takes the newest value, waiting up to `timeout` for one; `None` on timeout or when the
    /// slot is closed and empty.
    pub fn wait_take(&self, timeout: Duration) -> Option<T> {
        let guard = lock(&self.value);
        let (mut guard, _) = self
            .ready
            .wait_timeout_while(guard, timeout, |v| {
                v.is_none() && !self.closed.load(Ordering::Acquire)
            })
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        guard.take()
    }

    /// Values overwritten before anyone took them.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// Wakes every waiter for good: the producer is gone.
    pub fn close(&self) {
        self.closed.store(true, Ordering::Release);
        self.ready.notify_all();
    }

    /// Whether [`Self::close`] was called.
    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }
}

/// Locks, going on with the data if a thread panicked while holding the lock (the values here
/// are always whole).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn keeps_only_the_latest_and_counts_drops() {
        let slot = LatestSlot::new();
        slot.put(1);
        slot.put(2);
        slot.put(3);
        assert_eq!(slot.take(), Some(3));
        assert_eq!(slot.take(), None);
        assert_eq!(slot.dropped(), 2);
    }

    #[test]
    fn waiting_consumer_wakes_on_put_and_on_close() {
        let slot = Arc::new(LatestSlot::new());
        let producer = Arc::clone(&slot);
        let t = std::thread::spawn(move || producer.put(7));
        assert_eq!(slot.wait_take(Duration::from_secs(5)), Some(7));
        t.join().unwrap();
        slot.close();
        assert_eq!(slot.wait_take(Duration::from_secs(5)), None);
    }

    #[test]
    fn waker_runs_on_every_put() {
        let slot = LatestSlot::new();
        let count = Arc::new(AtomicU64::new(0));
        let c = Arc::clone(&count);
        slot.set_waker(move || {
            c.fetch_add(1, Ordering::Relaxed);
        });
        slot.put("a");
        slot.put("b");
        assert_eq!(count.load(Ordering::Relaxed), 2);
    }
}
