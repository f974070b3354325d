//! LOLWUT [VERSION v]: Redis 7.0's default answer is its version line; versions 5 and 6 draw
//! their (random) art in Redis, here they answer with the same closing line as the art does.

use bytes::Bytes;
use meridian_types::Reply;

use crate::resp::dispatch::Answer;
use crate::resp::server_cmds::parse_i64;

pub(crate) const REDIS_VERSION: &str = "7.0.15";

pub(super) fn command(argv: &[Bytes]) -> Answer {
    let mut version = REDIS_VERSION.to_string();
    if argv.len() >= 3 && argv[1].eq_ignore_ascii_case(b"version") {
        match parse_i64(&argv[2]) {
            Some(v) => version = format!("{}.0.0", v as u32),
            None => {
                return Answer::Reply(Reply::Error(
                    "ERR value is not an integer or out of range".into(),
                ))
            }
        }
    }
    Answer::Verbatim(text(&version))
}

/// Which art a version gets, as `lolwutCommand` decides.
pub(super) fn text(version: &str) -> String {
    let b = version.as_bytes();
    let art5 = (b[0] == b'5' && b.get(1) == Some(&b'.') && b.get(2) != Some(&b'9'))
        || (b[0] == b'4' && b.get(1) == Some(&b'.') && b.get(2) == Some(&b'9'));
    let art6 = (b[0] == b'6' && b.get(1) == Some(&b'.') && b.get(2) != Some(&b'9'))
        || (b[0] == b'5' && b.get(1) == Some(&b'.') && b.get(2) == Some(&b'9'));
    if art5 {
        format!("\nGeorg Nees - schotter, plotter on paper, 1968. Redis ver. {REDIS_VERSION}\n")
    } else if art6 {
        format!("\nDedicated to the 8 bit game developers of past and present.\nOriginal 8 bit image from Plaguemon by hikikomori. Redis ver. {REDIS_VERSION}\n")
    } else {
        format!("Redis ver. {REDIS_VERSION}\n")
    }
}
