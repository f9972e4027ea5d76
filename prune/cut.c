/*
 * cut.c - exact order statistics over records spread across ranks (prune_cut_find): the
 * global thresholds of the score stage split over ranks, and plan.json's per-cluster
 * quantiles, without any rank holding the whole corpus.
 *
 * Every rank holds its own records as rank_kg (key, g, pad = group). Over all ranks together
 * the records of one group are totally ordered by (key, g) ascending (rank/rank.h's orders: g
 * is the global record index, unique). A target asks for the first record of its group whose
 * inclusive prefix weight (the sum of the weights of it and every record of the group before
 * it in that order; weight 1 each without weights) reaches t >= 1: with unit weights, the t-th
 * record (the last one a budget of t records takes); with bytes or tokens, the record that
 * crosses a budget goal.
 *
 * Radix select on the 96 bits of (key, g): `bits` (8 or 16) bits per round, most significant
 * first. In each round each rank sums, for every target, the weight of its own records that
 * share the target's prefix so far, into 2^bits buckets by the round's digit; one SUM reduce
 * (sciprune_ranks.reduce_sum, nt x 2^bits int64) makes the global histogram, and every rank
 * walks it the same way: the first bucket where the weight before it plus its own reaches t
 * holds the answer, the weight before it adds to the target's `before`, its digit extends the
 * prefix. After 96 / bits rounds the prefix is the record's whole (key, g) and the last
 * bucket's weight is the record's own. The reduces move 96 / bits x nt x 2^bits x 8 bytes
 * (one target at 16 bits: 6 x 512 KiB); memory per rank is the histogram, not the corpus.
 * Sums are of integers, so the result does not depend on how the records are dealt over ranks:
 * it is exactly what one process finds by sorting (prune_cut_find with ranks NULL does the
 * same rounds with no reduce).
 */
#include "prune_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The top `nb` bits of (key, g) as a 96-bit number equal the target's prefix. */
static int prefix_match(const rank_kg *r, uint64_t pk, uint32_t pg, int nb)
{
    if (nb == 0) return 1;
    if (nb <= 64) return (r->key >> (64 - nb)) == (pk >> (64 - nb));
    if (r->key != pk) return 0;
    return nb == 96 ? r->g == pg : (r->g >> (96 - nb)) == (pg >> (96 - nb));
}

/* Digit `level` (bits wide, most significant first) of (key, g). */
static uint32_t digit(const rank_kg *r, int level, int bits)
{
    int hi = (level + 1) * bits; /* bits taken from the top after this digit */
    uint32_t mask = (1u << bits) - 1;
    if (hi <= 64) return (uint32_t)(r->key >> (64 - hi)) & mask;
    return (r->g >> (96 - hi)) & mask;
}

static void set_digit(uint64_t *pk, uint32_t *pg, int level, int bits, uint32_t d)
{
    int hi = (level + 1) * bits;
    if (hi <= 64) *pk |= (uint64_t)d << (64 - hi);
    else *pg |= d << (96 - hi);
}

sciprune_status prune_cut_find(const rank_kg *a, const uint64_t *w, size_t n, prune_cut *tg,
                               size_t nt, int bits, const sciprune_ranks *ranks,
                               sciprune_error *err)
{
    return prune_cut_find_top(a, w, n, tg, nt, bits, 96, ranks, err);
}

sciprune_status prune_cut_find_top(const rank_kg *a, const uint64_t *w, size_t n, prune_cut *tg,
                                   size_t nt, int bits, int top, const sciprune_ranks *ranks,
                                   sciprune_error *err)
{
    if ((bits != 4 && bits != 8 && bits != 16) || top < bits || top > 96 || top % bits)
        return sp_err(err, SCIPRUNE_EINVAL, NULL, -1, -1, "cut: %d bits per round, %d in all", bits, top);
    if (nt == 0) return SCIPRUNE_OK;
    const size_t nbk = (size_t)1 << bits;
    if (nt > (size_t)INT32_MAX / nbk)
        return sp_err(err, SCIPRUNE_EINVAL, NULL, -1, -1, "cut: %zu targets in one call", nt);
    for (size_t j = 0; j + 1 < nt; j++)
        if (tg[j].group > tg[j + 1].group)
            return sp_err(err, SCIPRUNE_EINVAL, NULL, -1, -1, "cut: targets not sorted by group");
    for (size_t j = 0; j < nt; j++)
        if (tg[j].t == 0) return sp_err(err, SCIPRUNE_EINVAL, NULL, -1, -1, "cut: a target of 0");
    int split = ranks && ranks->size > 1 && ranks->reduce_sum;
    /* the targets of group x are tg[first[x - g0] .. first[x - g0 + 1]) */
    uint32_t g0 = tg[0].group, gn = tg[nt - 1].group - g0 + 1;
    size_t *first = calloc((size_t)gn + 1, sizeof *first);
    int64_t *h = calloc(nt * nbk, sizeof *h);
    uint64_t *pk = calloc(nt, sizeof *pk);
    uint32_t *pg = calloc(nt, sizeof *pg);
    if (!first || !h || !pk || !pg) {
        free(first);
        free(h);
        free(pk);
        free(pg);
        return sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory (cut histograms)");
    }
    for (size_t j = 0, x = 0; x <= gn; x++) {
        while (j < nt && tg[j].group - g0 < x) j++;
        first[x] = j;
    }
    for (size_t j = 0; j < nt; j++) {
        tg[j].found = 0;
        tg[j].key = 0;
        tg[j].g = 0;
        tg[j].w = 0;
        tg[j].before = 0;
    }
    sciprune_status st = SCIPRUNE_OK;
    int levels = top / bits;
    for (int lv = 0; lv < levels && !st; lv++) {
        memset(h, 0, nt * nbk * sizeof *h);
        for (size_t i = 0; i < n; i++) {
            uint32_t x = a[i].pad;
            if (x < g0 || x - g0 >= gn) continue;
            for (size_t j = first[x - g0]; j < first[x - g0 + 1]; j++) {
                if (lv > 0 && !tg[j].found) continue; /* its group's total is below t */
                if (!prefix_match(&a[i], pk[j], pg[j], lv * bits)) continue;
                h[j * nbk + digit(&a[i], lv, bits)] += (int64_t)(w ? w[i] : 1);
            }
        }
        if (split && ranks->reduce_sum(ranks->user, h, (int)(nt * nbk)) != 0) {
            st = sp_err(err, SCIPRUNE_EIO, NULL, -1, -1, "MPI: the threshold reduce failed");
            break;
        }
        for (size_t j = 0; j < nt; j++) {
            if (lv > 0 && !tg[j].found) continue;
            const int64_t *hj = h + j * nbk;
            uint64_t before = tg[j].before;
            size_t d = 0;
            while (d < nbk && before + (uint64_t)hj[d] < tg[j].t) before += (uint64_t)hj[d++];
            if (d == nbk) { /* round 0 only: the group's total weight is below t */
                tg[j].before = before;
                continue;
            }
            tg[j].found = 1;
            tg[j].before = before;
            tg[j].w = (uint64_t)hj[d];
            set_digit(&pk[j], &pg[j], lv, bits, (uint32_t)d);
        }
    }
    for (size_t j = 0; j < nt && !st; j++)
        if (tg[j].found) {
            tg[j].key = pk[j];
            tg[j].g = pg[j];
        }
    free(first);
    free(h);
    free(pk);
    free(pg);
    return st;
}

static int kg_le(const rank_kg *r, uint64_t key, uint32_t g)
{
    return r->key < key || (r->key == key && r->g <= g);
}

static sciprune_status sum_reduce(const sciprune_ranks *ranks, int64_t *v, int n,
                                  sciprune_error *err)
{
    if (!ranks || ranks->size <= 1 || !ranks->reduce_sum) return SCIPRUNE_OK;
    if (ranks->reduce_sum(ranks->user, v, n) != 0)
        return sp_err(err, SCIPRUNE_EIO, NULL, -1, -1, "MPI: the threshold reduce failed");
    return SCIPRUNE_OK;
}

/* The t-th record (unit weights) of a[0..n) over the ranks into out. */
static sciprune_status nth(const rank_kg *a, size_t n, uint64_t t, prune_cut_step_out *out,
                           const sciprune_ranks *ranks, sciprune_error *err)
{
    prune_cut c = {.group = 0, .t = t};
    sciprune_status st = prune_cut_find(a, NULL, n, &c, 1, 16, ranks, err);
    if (st) return st;
    out->any = c.found;
    out->key = c.key;
    out->g = c.g;
    return SCIPRUNE_OK;
}

sciprune_status prune_cut_step(const rank_kg *a, const uint64_t *w, size_t n, uint64_t count,
                               double goal, uint64_t *cum, prune_cut_step_out *out,
                               const sciprune_ranks *ranks, sciprune_error *err)
{
    memset(out, 0, sizeof *out);
    sciprune_status st;
    if (!w) { /* the first `count` records */
        if (count == 0) return SCIPRUNE_OK;
        prune_cut c = {.group = 0, .t = count};
        if ((st = prune_cut_find(a, NULL, n, &c, 1, 16, ranks, err))) return st;
        if (c.found) {
            out->any = 1;
            out->key = c.key;
            out->g = c.g;
            out->taken = count;
            return SCIPRUNE_OK;
        }
        out->taken = c.before; /* fewer than count: all of them */
        return c.before ? nth(a, n, c.before, out, ranks, err) : SCIPRUNE_OK;
    }
    /* score.c's take_weighted: take while 2 (cum + w) <= 2 goal + w. The first record whose
     * prefix (from *cum) exceeds goal is the only one where the walk may stop or take: every
     * record before it keeps cum <= goal (taken), every record after it would not */
    uint64_t c0 = *cum;
    if ((double)c0 > goal) return SCIPRUNE_OK; /* stops at the first record */
    uint64_t fg = (uint64_t)floor(goal);
    prune_cut c = {.group = 0, .t = fg + 1 - c0};
    if ((st = prune_cut_find(a, w, n, &c, 1, 16, ranks, err))) return st;
    int64_t cnt[1] = {0};
    if (!c.found) { /* the whole order fits: everything */
        cnt[0] = (int64_t)n;
        if ((st = sum_reduce(ranks, cnt, 1, err))) return st;
        *cum = c0 + c.before;
        out->taken = (uint64_t)cnt[0];
        return out->taken ? nth(a, n, out->taken, out, ranks, err) : SCIPRUNE_OK;
    }
    for (size_t i = 0; i < n; i++)
        if (kg_le(&a[i], c.key, c.g) && !(a[i].key == c.key && a[i].g == c.g)) cnt[0]++;
    if ((st = sum_reduce(ranks, cnt, 1, err))) return st;
    uint64_t pre = c0 + c.before;
    int take = !(2.0 * (double)(pre + c.w) > 2.0 * goal + (double)c.w);
    out->taken = (uint64_t)cnt[0] + (uint64_t)take;
    *cum = pre + (take ? c.w : 0);
    if (take) {
        out->any = 1;
        out->key = c.key;
        out->g = c.g;
        return SCIPRUNE_OK;
    }
    return cnt[0] ? nth(a, n, (uint64_t)cnt[0], out, ranks, err) : SCIPRUNE_OK;
}

int prune_cut_taken(const rank_kg *r, const prune_cut_step_out *out)
{
    return out->any && kg_le(r, out->key, out->g);
}
