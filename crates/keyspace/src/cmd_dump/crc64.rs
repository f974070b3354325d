//! CRC-64/Jones as Redis's `crc64.c` computes it (reflected, initial value 0, no final xor):
//! the checksum at the end of every DUMP payload.

/// 0xad93d23594c935a9, bit-reversed (the algorithm is reflected).
const POLY: u64 = 0x95ac_9329_ac4b_c9b5;

const TABLE: [u64; 256] = build_table();

const fn build_table() -> [u64; 256] {
    let mut table = [0u64; 256];
    let mut i = 0;
    while i < 256 {
        let mut crc = i as u64;
        let mut bit = 0;
        while bit < 8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ POLY
            } else {
                crc >> 1
            };
            bit += 1;
        }
        table[i] = crc;
        i += 1;
    }
    table
}

/// Redis's `crc64(0, data, len)`.
pub(crate) fn crc64(data: &[u8]) -> u64 {
    data.iter().fold(0u64, |crc, b| {
        TABLE[((crc ^ u64::from(*b)) & 0xff) as usize] ^ (crc >> 8)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_check_value_redis_tests() {
        // The value `crc64Test` in Redis's crc64.c expects.
        assert_eq!(crc64(b"123456789"), 0xe9c6_d914_c4b8_d9ca);
        assert_eq!(crc64(b""), 0);
    }
}
