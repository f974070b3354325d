//! Regrouping: how long a queue waits for the clients it just answered. Time is tokio's paused
//! clock, so every wait is exact.

use tokio::sync::mpsc;
use tokio::time::Instant;

use std::time::Duration;

use super::{regroup, Answered, Caller, Queued, Regrouper, Returns, Round, REGROUP_WAIT};

/// tokio's timer tick: a deadline ends on the next one.
const TICK: Duration = Duration::from_millis(1);

/// A round that holds at most `cap` requests.
struct Capped {
    items: Vec<Caller>,
    cap: usize,
}

impl Round for Capped {
    type Item = Caller;

    fn items(&self) -> &[Caller] {
        &self.items
    }

    fn add(&mut self, item: Caller) -> Option<Caller> {
        if self.items.len() >= self.cap {
            return Some(item);
        }
        self.items.push(item);
        None
    }
}

impl Queued for Caller {
    fn caller(&self) -> Caller {
        *self
    }
}

fn proposal(queued_at: Instant) -> Caller {
    from_writer(queued_at, None)
}

fn from_writer(queued_at: Instant, task: Option<tokio::task::Id>) -> Caller {
    Caller { queued_at, task }
}

fn round(first: Caller) -> Capped {
    Capped {
        items: vec![first],
        cap: 1024,
    }
}

fn answered(n: usize) -> Answered {
    Answered {
        at: Instant::now(),
        callers: vec![None; n],
    }
}

#[tokio::test(start_paused = true)]
async fn waits_for_the_answered_clients_and_those_queued_during_the_round() {
    let before = Instant::now();
    tokio::time::advance(REGROUP_WAIT / 4).await;
    let answered = answered(2);
    // One writer queued while the entry was in flight; two of the answered ones are back.
    let mut gathered = round(proposal(before));
    let (tx, mut rx) = mpsc::unbounded_channel();
    for _ in 0..3 {
        tx.send(proposal(Instant::now())).unwrap();
    }
    let start = Instant::now();
    assert!(regroup(&mut gathered, &mut rx, &answered).await.is_none());
    assert_eq!(gathered.items.len(), 3, "1 queued during + 2 answered");
    assert_eq!(Instant::now(), start, "everyone expected was already in");
    assert!(
        rx.try_recv().is_ok(),
        "the extra writer waits for the next entry"
    );
}

#[tokio::test(start_paused = true)]
async fn a_lone_client_never_waits() {
    let answered = answered(1);
    tokio::time::advance(REGROUP_WAIT / 4).await;
    let mut gathered = round(proposal(Instant::now()));
    let (_tx, mut rx) = mpsc::unbounded_channel();
    let start = Instant::now();
    regroup(&mut gathered, &mut rx, &answered).await;
    assert_eq!(gathered.items.len(), 1);
    assert_eq!(Instant::now(), start);
}

#[tokio::test(start_paused = true)]
async fn gives_up_at_the_bound_when_clients_do_not_come() {
    let answered = answered(5);
    let (tx, mut rx) = mpsc::unbounded_channel();
    // One more writer comes while the proposer waits; the other three never do.
    tokio::spawn(async move {
        tokio::task::yield_now().await;
        tx.send(proposal(Instant::now())).unwrap();
        std::future::pending::<()>().await;
    });
    let mut gathered = round(proposal(Instant::now()));
    regroup(&mut gathered, &mut rx, &answered).await;
    assert_eq!(gathered.items.len(), 2);
    let waited = Instant::now() - answered.at;
    assert!(
        waited >= REGROUP_WAIT && waited <= REGROUP_WAIT + TICK,
        "{waited:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn does_not_wait_once_the_bound_has_passed() {
    let answered = answered(50);
    tokio::time::advance(REGROUP_WAIT + TICK).await;
    let (_tx, mut rx) = mpsc::unbounded_channel();
    let mut gathered = round(proposal(Instant::now()));
    let start = Instant::now();
    regroup(&mut gathered, &mut rx, &answered).await;
    assert_eq!(Instant::now(), start);
}

#[tokio::test(start_paused = true)]
async fn a_full_round_hands_back_the_request_that_did_not_fit() {
    let answered = answered(1024 + 10);
    let (tx, mut rx) = mpsc::unbounded_channel();
    let mut gathered = round(proposal(Instant::now()));
    for _ in 0..1024 {
        tx.send(proposal(Instant::now())).unwrap();
    }
    let carry = regroup(&mut gathered, &mut rx, &answered).await;
    assert!(carry.is_some());
    assert_eq!(gathered.items.len(), 1024);
}

/// Ids of real tasks (a queue knows its clients by their task).
async fn task_ids(n: usize) -> Vec<tokio::task::Id> {
    let mut ids = Vec::new();
    for _ in 0..n {
        ids.push(tokio::spawn(async { tokio::task::id() }).await.unwrap());
    }
    ids
}

#[tokio::test(start_paused = true)]
async fn regrouping_is_learned_from_clients_that_come_back() {
    let ids = task_ids(4).await;
    let mut returns = Returns::default();
    assert!(!returns.worth_waiting(), "nothing seen yet");
    for _ in 0..3 {
        let answered = Answered {
            at: Instant::now(),
            callers: ids.iter().copied().map(Some).collect(),
        };
        returns.answered(&answered);
        tokio::time::advance(REGROUP_WAIT / 4).await;
        for id in &ids {
            returns.arrived(from_writer(Instant::now(), Some(*id)));
        }
    }
    assert!(returns.worth_waiting(), "writers in a loop");
}

#[tokio::test(start_paused = true)]
async fn clients_that_do_not_come_back_turn_regrouping_off() {
    let ids = task_ids(8).await;
    let mut returns = Returns {
        score: 4,
        ..Default::default()
    };
    let (quick, gone) = ids.split_at(2);
    let answered = Answered {
        at: Instant::now(),
        callers: ids.iter().copied().map(Some).collect(),
    };
    returns.answered(&answered);
    for id in quick {
        returns.arrived(from_writer(Instant::now(), Some(*id)));
    }
    // The others never write again (requests over a pool); a later entry forgets them.
    tokio::time::advance(3 * REGROUP_WAIT).await;
    returns.answered(&Answered {
        at: Instant::now(),
        callers: Vec::new(),
    });
    assert_eq!(returns.score, 4 + quick.len() as i32 - gone.len() as i32);
    assert!(!returns.worth_waiting());
}

#[tokio::test(start_paused = true)]
async fn a_slow_return_counts_against_regrouping() {
    let ids = task_ids(1).await;
    let mut returns = Returns::default();
    returns.answered(&Answered {
        at: Instant::now(),
        callers: vec![Some(ids[0])],
    });
    tokio::time::advance(REGROUP_WAIT + TICK).await;
    returns.arrived(from_writer(Instant::now(), Some(ids[0])));
    assert_eq!(returns.score, -1);
}

#[tokio::test(start_paused = true)]
async fn fill_regroups_only_once_clients_were_seen_coming_back() {
    let ids = task_ids(2).await;
    let mut regrouper = Regrouper::default();
    let (tx, mut rx) = mpsc::unbounded_channel();
    let answer = |at| Answered {
        at,
        callers: ids.iter().copied().map(Some).collect(),
    };
    // No history: the first client back goes alone.
    let first = answer(Instant::now());
    let mut r = round(from_writer(Instant::now(), Some(ids[0])));
    let start = Instant::now();
    regrouper.fill(&mut r, &mut rx, Some(&first)).await;
    assert_eq!((r.items.len(), Instant::now()), (1, start));
    tx.send(from_writer(Instant::now(), Some(ids[1]))).unwrap();
    regrouper
        .fill(&mut round(proposal(Instant::now())), &mut rx, None)
        .await;
    // Both came back quickly: now the first one back waits for the other.
    let second = answer(Instant::now());
    let mut r = round(from_writer(Instant::now(), Some(ids[0])));
    let late = tx.clone();
    let other = ids[1];
    tokio::spawn(async move {
        tokio::task::yield_now().await;
        late.send(from_writer(Instant::now(), Some(other))).unwrap();
    });
    regrouper.fill(&mut r, &mut rx, Some(&second)).await;
    assert_eq!(r.items.len(), 2);
}
