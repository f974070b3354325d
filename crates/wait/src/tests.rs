use std::time::Duration;

use super::*;

#[test]
fn returns_the_value_once_the_check_reports_one() {
    let mut polls = 0;
    let value = Wait::new("the third poll", Duration::from_secs(10))
        .every(Duration::from_millis(1))
        .until(|| {
            polls += 1;
            if polls == 3 {
                Ok(polls * 10)
            } else {
                Err(polls)
            }
        });
    assert_eq!(value.ok(), Some(30));
    assert_eq!(polls, 3);
}

#[test]
fn gives_up_naming_what_was_awaited_the_limit_and_the_last_observation() {
    let mut polls = 0;
    let err = Wait::new("the impossible", Duration::from_millis(30))
        .every(Duration::from_millis(5))
        .until(|| {
            polls += 1;
            Err::<(), _>(format!("poll {polls}"))
        })
        .unwrap_err();
    assert_eq!(err.what(), "the impossible");
    assert_eq!(err.limit(), Duration::from_millis(30));
    assert_eq!(
        err.last(),
        &format!("poll {polls}"),
        "the last call's observation"
    );
    assert_eq!(
        err.to_string(),
        format!("the impossible: not reached within 30ms (last: poll {polls})")
    );
    assert!(polls >= 2, "polled more than once: {polls}");
}

#[test]
fn a_zero_limit_still_checks_once() {
    let mut polls = 0;
    let ok = until("one look", Duration::ZERO, || {
        polls += 1;
        true
    });
    assert!(ok.is_ok());
    let err = until("one look", Duration::ZERO, || None::<u8>).unwrap_err();
    assert_eq!(polls, 1);
    assert_eq!(
        err.to_string(),
        "one look: not reached within 0ns (last: condition not met yet)"
    );
}

#[test]
fn the_error_converts_into_boxed_errors() {
    let err: Box<dyn std::error::Error + Send + Sync> =
        until("a value", Duration::ZERO, || Err::<(), _>("nothing"))
            .unwrap_err()
            .into();
    assert_eq!(
        err.to_string(),
        "a value: not reached within 0ns (last: nothing)"
    );
}

#[tokio::test(start_paused = true)]
async fn the_async_wait_sleeps_on_tokios_clock_and_checks_at_the_deadline() {
    let start = tokio::time::Instant::now();
    let mut polls = 0;
    let err = Wait::new("an hour", Duration::from_secs(3600))
        .every(Duration::from_secs(600))
        .until_async(|| {
            polls += 1;
            async { false }
        })
        .await
        .unwrap_err();
    // t = 0, 10, 20, ..., 60 minutes: the last call is at the deadline, none after it.
    assert_eq!(polls, 7);
    assert_eq!(start.elapsed(), Duration::from_secs(3600));
    assert_eq!(err.into_last(), NotYet);
}

#[tokio::test(start_paused = true)]
async fn a_condition_that_holds_at_the_deadline_is_seen() {
    let start = tokio::time::Instant::now();
    let limit = Duration::from_secs(1);
    let at = until_async("the deadline", limit, || async {
        (start.elapsed() >= limit).then(|| start.elapsed())
    })
    .await;
    assert_eq!(at.ok(), Some(limit));
}
