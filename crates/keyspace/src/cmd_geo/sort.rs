//! The two sorts a geo search uses, ported so that points at equal distances come out in the
//! order Redis gives them: glibc's `qsort` (a stable top-down merge sort, glibc 2.36 as on the
//! reference server) when every result is returned, and Redis's `pqsort` (Bentley-McIlroy
//! quicksort that only sorts the partitions overlapping the wanted ranks) under COUNT.
//!
//! Comparators return C-style -1 / 0 / 1 and need not be a total order.

use std::cmp::Ordering;

/// glibc `qsort`: sorts `v` stably by `cmp`, merging exactly as glibc's `msort` does.
pub(super) fn qsort<T: Clone>(v: &mut [T], cmp: &impl Fn(&T, &T) -> i32) {
    let mut tmp = Vec::with_capacity(v.len());
    msort(v, &mut tmp, cmp);
}

fn msort<T: Clone>(b: &mut [T], tmp: &mut Vec<T>, cmp: &impl Fn(&T, &T) -> i32) {
    let n = b.len();
    if n <= 1 {
        return;
    }
    let n1 = n / 2;
    msort(&mut b[..n1], tmp, cmp);
    msort(&mut b[n1..], tmp, cmp);
    tmp.clear();
    let (mut i, mut j) = (0, n1);
    while i < n1 && j < n {
        if cmp(&b[i], &b[j]) <= 0 {
            tmp.push(b[i].clone());
            i += 1;
        } else {
            tmp.push(b[j].clone());
            j += 1;
        }
    }
    // What is left of the second half is already in place.
    tmp.extend_from_slice(&b[i..n1]);
    b[..tmp.len()].clone_from_slice(tmp);
}

/// Redis `pqsort(a, n, es, cmp, lrange, rrange)`: leaves ranks `lrange..=rrange` of `v` sorted.
pub(super) fn pqsort<T>(v: &mut [T], cmp: &impl Fn(&T, &T) -> i32, lrange: usize, rrange: usize) {
    let n = v.len();
    partial(v, 0, n, cmp, (lrange, rrange));
}

fn med3<T>(v: &[T], a: usize, b: usize, c: usize, cmp: &impl Fn(&T, &T) -> i32) -> usize {
    if cmp(&v[a], &v[b]) < 0 {
        if cmp(&v[b], &v[c]) < 0 {
            b
        } else if cmp(&v[a], &v[c]) < 0 {
            c
        } else {
            a
        }
    } else if cmp(&v[b], &v[c]) > 0 {
        b
    } else if cmp(&v[a], &v[c]) < 0 {
        a
    } else {
        c
    }
}

fn vecswap<T>(v: &mut [T], a: usize, b: usize, n: usize) {
    for i in 0..n {
        v.swap(a + i, b + i);
    }
}

/// True when the partition `start..start + len` holds none of the wanted ranks.
fn outside(start: usize, len: usize, (l, r): (usize, usize)) -> bool {
    (l < start && r < start) || (l >= start + len && r >= start + len)
}

/// `_pqsort` on the elements `a..a + n` of `v`, with indices in place of C's byte pointers.
fn partial<T>(
    v: &mut [T],
    mut a: usize,
    mut n: usize,
    cmp: &impl Fn(&T, &T) -> i32,
    range: (usize, usize),
) {
    loop {
        if n < 7 {
            for pm in a + 1..a + n {
                let mut pl = pm;
                while pl > a && cmp(&v[pl - 1], &v[pl]) > 0 {
                    v.swap(pl, pl - 1);
                    pl -= 1;
                }
            }
            return;
        }
        let mut pm = a + n / 2;
        if n > 7 {
            let mut pl = a;
            let mut pn = a + n - 1;
            if n > 40 {
                let d = n / 8;
                pl = med3(v, pl, pl + d, pl + 2 * d, cmp);
                pm = med3(v, pm - d, pm, pm + d, cmp);
                pn = med3(v, pn - 2 * d, pn - d, pn, cmp);
            }
            pm = med3(v, pl, pm, pn, cmp);
        }
        v.swap(a, pm);
        let (pa, pb, pc, pd) = partition(v, a, n, cmp);
        let pn = a + n;
        let r = (pa - a).min(pb - pa);
        vecswap(v, a, pb - r, r);
        let r = (pd - pc).min(pn - pd - 1);
        vecswap(v, pb, pn - r, r);
        let r = pb - pa;
        if r > 1 && !outside(a, r, range) {
            partial(v, a, r, cmp, range);
        }
        let r = pd - pc;
        if r <= 1 {
            return;
        }
        a = pn - r;
        n = r;
        if outside(a, r, range) {
            return;
        }
    }
}

/// Bentley-McIlroy three-way partition of `a..a + n` around the pivot at `a`: elements equal
/// to it are gathered at both ends (`a + 1..pa` and `pd + 1..a + n`), smaller ones in
/// `pa..pb`, larger ones in `pc + 1..pd + 1`.
fn partition<T>(
    v: &mut [T],
    a: usize,
    n: usize,
    cmp: &impl Fn(&T, &T) -> i32,
) -> (usize, usize, usize, usize) {
    let (mut pa, mut pb) = (a + 1, a + 1);
    let (mut pc, mut pd) = (a + n - 1, a + n - 1);
    loop {
        while pb <= pc {
            let c = cmp(&v[pb], &v[a]);
            if c > 0 {
                break;
            }
            if c == 0 {
                v.swap(pa, pb);
                pa += 1;
            }
            pb += 1;
        }
        while pb <= pc {
            let c = cmp(&v[pc], &v[a]);
            if c < 0 {
                break;
            }
            if c == 0 {
                v.swap(pc, pd);
                pd -= 1;
            }
            pc -= 1;
        }
        if pb > pc {
            break;
        }
        v.swap(pb, pc);
        pb += 1;
        pc -= 1;
    }
    (pa, pb, pc, pd)
}

/// Redis's `sort_gp_asc` on distances: 1, 0 or -1 (-1 whenever a NaN is involved).
pub(super) fn cmp_dist(a: f64, b: f64) -> i32 {
    match a.partial_cmp(&b) {
        Some(Ordering::Greater) => 1,
        Some(Ordering::Equal) => 0,
        _ => -1,
    }
}
