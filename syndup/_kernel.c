/* syndup._kernel: the per-character, per-word and per-shingle hot path in C.
 *
 * Optional: syndup runs the same computation in Python and numpy when this module is not built,
 * and tests check that both give the same results bit for bit. The functions:
 *
 *   paragraphs(text) -> str | None, word_bytes(text, fold) -> bytes
 *       shingle._token_bytes in two steps: cut the text into stripped non-blank lines (None when
 *       two touch: normalize.paragraph_spans decides then), and map the NFKC paragraphs to
 *       tokens (ASCII through a table, other characters through `fold`, cached per character).
 *
 *   token_bytes(text, fold, stable) -> bytes | None
 *       The same in one pass where no two non-blank lines touch and NFKC changes no character
 *       (stable(char) says which cannot change, once per character); else None.
 *
 *   analyze(token_bytes, key, digests=True) -> (word_hashes, word_quoted, word_offsets, para_hashes,
 *                                                para_words, para_offsets, fingerprints)
 *       token_bytes: a list of bytes, one per article, as shingle._token_bytes makes them
 *       (tokens separated by ASCII whitespace; '"' and NUL tokens are markers). Tokens are found
 *       from a bitmap of whitespace (AVX2 where the CPU has it). Words are hashed like
 *       pandas.util.hash_array(..., hash_key=key, categorize=False): SipHash-2-4 (four short
 *       words at once), then a splitmix64 finalizer. Paragraph hashes and fingerprints are
 *       BLAKE2b (8 and 12 bytes) of the little-endian word hashes, as hashlib.blake2b makes them.
 *
 *   shingle(word_hashes, word_quoted, word_offsets, keep, multipliers, k) -> (hashes, unquoted, offsets)
 *       Each article's distinct k-word shingle hashes (kept words only), sorted, and whether each
 *       occurs at least once outside quotation marks: shingle.shingle_many's arrays.
 *
 *   has_surrogates(text) -> bool
 *       read._has_surrogates: whether a str holds a lone surrogate, without encoding it.
 *   shingle_minhash(word_hashes, word_quoted, word_offsets, keep, multipliers, k, a, b, sample)
 *       shingle()'s arrays and, per article, minhash() of its set's hashes divisible by `sample`,
 *       in one pass (sketch.sketch_many's sets and signatures).
 *
 *   repeated(keys) -> positions
 *       candidates._repeated: where the uint64 keys that occur more than once are (a hash table).
 *
 *   band_keys(signatures, width, select, bands, rows) -> keys
 *       candidates.band_key of every band at once, for the selected signature rows.
 *
 *   sum_by_code(codes, weights) -> (codes, sums)
 *       candidates.sum_by_code: each distinct code once, with the sum of its weights (a hash table).
 *
 *   fold_confusables(tokens) -> bytes
 *       normalize.fold_confusables: the noisy view's tokens, OCR's confusable characters folded.
 *
 *   analyze_views(token_bytes, rejoined, key, noisy_key) -> (exact, noisy)
 *       shingle.analyze_views: analyze of the token bytes, and of the noisy view's tokens (each
 *       article's own tokens, or its `rejoined` de-hyphenated ones where given, confusables folded)
 *       under noisy_key without digests, article by article in one call. Where an article has no
 *       rejoined tokens, its noisy words are its words folded one by one (folding keeps every
 *       token), both hashes looked up at once in a per-process cache of short words.
 *
 *   minhash(values, offsets, a, b) -> signatures
 *       datasketch's affine32 MinHash of rows of 32-bit shingle hashes: fmix32, then
 *       min over the row of (a * h + b) mod 2**32 per permutation.
 *
 *   overlap(hashes, unquoted, offsets, a, b, count_unquoted) -> (shared, shared_unquoted)
 *       verify.overlap_many: per pair, the hashes two sorted distinct sets share (a merge).
 *
 *   sequences(word_hashes, word_quoted, word_offsets, para_words, drop, multipliers, k, prose_words)
 *       verify.sequences_many: every article's shingles in text order, and the words they count.
 *
 *   passages(hashes, before, inside, offsets, a, b, gap) -> words
 *       verify.passage_words_many: per pair, the longest run of shingles the other article holds.
 *
 *   spans(hashes, before, inside, offsets, x, y, gap) -> (first, last) per pair
 *       verify._longest_spans: where in x[p] its longest run of y[p]'s shingles lies.
 *
 *   copy_runs(src, dst, starts, ends, to, itemsize)
 *       spill._copy_runs: runs of a chunk's flat arrays copied into a batch.
 *
 *   word_passages(word_hashes, word_quoted, word_offsets, para_words, drop, multipliers, k, prose_words,
 *                 a, b, gap, min_words) -> (words, spans)
 *       verify.passage_spans: passages and, for the pairs reaching min_words, both sides' spans,
 *       from the words (the sequences are kept inside the call, not returned).
 *
 * Array results are bytearrays, which numpy views (writable, without a copy) with frombuffer.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

/* AVX2 code paths (whitespace bits), picked at run time where the CPU has AVX2. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#include <immintrin.h>
#define HAVE_AVX2 1
static int cpu_avx2(void) {
    static int known = -1;
    if (known < 0) known = __builtin_cpu_supports("avx2") ? 1 : 0;
    return known;
}
#endif

/* ---- SipHash-2-4 (reference algorithm by Aumasson and Bernstein) --------------------------- */

#define ROTL64(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND                                                         \
    do {                                                                 \
        v0 += v1; v1 = ROTL64(v1, 13); v1 ^= v0; v0 = ROTL64(v0, 32);    \
        v2 += v3; v3 = ROTL64(v3, 16); v3 ^= v2;                         \
        v0 += v3; v3 = ROTL64(v3, 21); v3 ^= v0;                         \
        v2 += v1; v1 = ROTL64(v1, 17); v1 ^= v2; v2 = ROTL64(v2, 32);    \
    } while (0)

static inline uint64_t load64(const uint8_t *p) {
    uint64_t v;
    memcpy(&v, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    return v;
}

static inline void store64(uint8_t *p, uint64_t v) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    memcpy(p, &v, 8);
}

static uint64_t siphash24(const uint8_t *in, size_t len, uint64_t k0, uint64_t k1) {
    uint64_t v0 = 0x736f6d6570736575ULL ^ k0, v1 = 0x646f72616e646f6dULL ^ k1;
    uint64_t v2 = 0x6c7967656e657261ULL ^ k0, v3 = 0x7465646279746573ULL ^ k1;
    const uint8_t *end = in + len - (len % 8);
    uint64_t m, b = ((uint64_t)len) << 56;
    for (; in != end; in += 8) {
        m = load64(in);
        v3 ^= m;
        SIPROUND; SIPROUND;
        v0 ^= m;
    }
    switch (len & 7) {
        case 7: b |= ((uint64_t)in[6]) << 48; /* fall through */
        case 6: b |= ((uint64_t)in[5]) << 40; /* fall through */
        case 5: b |= ((uint64_t)in[4]) << 32; /* fall through */
        case 4: b |= ((uint64_t)in[3]) << 24; /* fall through */
        case 3: b |= ((uint64_t)in[2]) << 16; /* fall through */
        case 2: b |= ((uint64_t)in[1]) << 8;  /* fall through */
        case 1: b |= ((uint64_t)in[0]); break;
        case 0: break;
    }
    v3 ^= b;
    SIPROUND; SIPROUND;
    v0 ^= b;
    v2 ^= 0xff;
    SIPROUND; SIPROUND; SIPROUND; SIPROUND;
    return v0 ^ v1 ^ v2 ^ v3;
}

static inline uint64_t splitmix_final(uint64_t x) {  /* pandas' hash_array redistribution */
    x ^= x >> 30;
    x *= 0xBF58476D1CE4E5B9ULL;
    x ^= x >> 27;
    x *= 0x94D049BB133111EBULL;
    x ^= x >> 31;
    return x;
}

/* ---- BLAKE2b (RFC 7693), unkeyed, digest of 1 to 64 bytes ---------------------------------- */

typedef struct {
    uint8_t b[128];
    uint64_t h[8];
    uint64_t t[2];
    size_t c;
    size_t outlen;
} blake2b_ctx;

static const uint64_t blake2b_iv[8] = {
    0x6A09E667F3BCC908ULL, 0xBB67AE8584CAA73BULL, 0x3C6EF372FE94F82BULL, 0xA54FF53A5F1D36F1ULL,
    0x510E527FADE682D1ULL, 0x9B05688C2B3E6C1FULL, 0x1F83D9ABFB41BD6BULL, 0x5BE0CD19137E2179ULL,
};

/* The message schedule; rounds 10 and 11 reuse rows 0 and 1 (sigma[r % 10]). */
static const uint8_t blake2b_sigma[10][16] = {
    {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15},
    {14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3},
    {11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4},
    {7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8},
    {9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13},
    {2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9},
    {12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11},
    {13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10},
    {6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5},
    {10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0},
};

#define ROTR64(x, y) (((x) >> (y)) ^ ((x) << (64 - (y))))
#define B2B_G(a, b, c, d, x, y)                  \
    do {                                         \
        v[a] = v[a] + v[b] + x;                  \
        v[d] = ROTR64(v[d] ^ v[a], 32);          \
        v[c] = v[c] + v[d];                      \
        v[b] = ROTR64(v[b] ^ v[c], 24);          \
        v[a] = v[a] + v[b] + y;                  \
        v[d] = ROTR64(v[d] ^ v[a], 16);          \
        v[c] = v[c] + v[d];                      \
        v[b] = ROTR64(v[b] ^ v[c], 63);          \
    } while (0)

static void blake2b_compress(blake2b_ctx *ctx, int last) {
    uint64_t v[16], m[16];
    int i;
    for (i = 0; i < 8; i++) {
        v[i] = ctx->h[i];
        v[i + 8] = blake2b_iv[i];
    }
    v[12] ^= ctx->t[0];
    v[13] ^= ctx->t[1];
    if (last) v[14] = ~v[14];
    for (i = 0; i < 16; i++) m[i] = load64(&ctx->b[8 * i]);
    /* The twelve rounds written out, so every message index is a constant (about twice as fast
     * as looping over the sigma table). */
#define B2B_ROUND(r)                                                          \
    do {                                                                      \
        B2B_G(0, 4, 8, 12, m[blake2b_sigma[(r) % 10][0]], m[blake2b_sigma[(r) % 10][1]]);   \
        B2B_G(1, 5, 9, 13, m[blake2b_sigma[(r) % 10][2]], m[blake2b_sigma[(r) % 10][3]]);   \
        B2B_G(2, 6, 10, 14, m[blake2b_sigma[(r) % 10][4]], m[blake2b_sigma[(r) % 10][5]]);  \
        B2B_G(3, 7, 11, 15, m[blake2b_sigma[(r) % 10][6]], m[blake2b_sigma[(r) % 10][7]]);  \
        B2B_G(0, 5, 10, 15, m[blake2b_sigma[(r) % 10][8]], m[blake2b_sigma[(r) % 10][9]]);  \
        B2B_G(1, 6, 11, 12, m[blake2b_sigma[(r) % 10][10]], m[blake2b_sigma[(r) % 10][11]]); \
        B2B_G(2, 7, 8, 13, m[blake2b_sigma[(r) % 10][12]], m[blake2b_sigma[(r) % 10][13]]); \
        B2B_G(3, 4, 9, 14, m[blake2b_sigma[(r) % 10][14]], m[blake2b_sigma[(r) % 10][15]]); \
    } while (0)
    B2B_ROUND(0); B2B_ROUND(1); B2B_ROUND(2); B2B_ROUND(3); B2B_ROUND(4); B2B_ROUND(5);
    B2B_ROUND(6); B2B_ROUND(7); B2B_ROUND(8); B2B_ROUND(9); B2B_ROUND(10); B2B_ROUND(11);
#undef B2B_ROUND
    for (i = 0; i < 8; i++) ctx->h[i] ^= v[i] ^ v[i + 8];
}

static void blake2b_init(blake2b_ctx *ctx, size_t outlen) {
    int i;
    for (i = 0; i < 8; i++) ctx->h[i] = blake2b_iv[i];
    ctx->h[0] ^= 0x01010000ULL ^ (uint64_t)outlen;
    ctx->t[0] = ctx->t[1] = 0;
    ctx->c = 0;
    ctx->outlen = outlen;
}

static void blake2b_update(blake2b_ctx *ctx, const uint8_t *in, size_t inlen) {
    while (inlen > 0) {
        if (ctx->c == 128) {  /* a full block, and more input: compress it (the last waits for final) */
            ctx->t[0] += ctx->c;
            if (ctx->t[0] < ctx->c) ctx->t[1]++;
            blake2b_compress(ctx, 0);
            ctx->c = 0;
        }
        size_t take = 128 - ctx->c < inlen ? 128 - ctx->c : inlen;
        memcpy(ctx->b + ctx->c, in, take);
        ctx->c += take;
        in += take;
        inlen -= take;
    }
}

static void blake2b_final(blake2b_ctx *ctx, uint8_t *out) {
    size_t i;
    ctx->t[0] += ctx->c;
    if (ctx->t[0] < ctx->c) ctx->t[1]++;
    while (ctx->c < 128) ctx->b[ctx->c++] = 0;
    blake2b_compress(ctx, 1);
    for (i = 0; i < ctx->outlen; i++) out[i] = (uint8_t)((ctx->h[i >> 3] >> (8 * (i & 7))) & 0xFF);
}

static void blake2b_digest(const uint8_t *in, size_t inlen, uint8_t *out, size_t outlen) {
    blake2b_ctx ctx;
    blake2b_init(&ctx, outlen);
    blake2b_update(&ctx, in, inlen);
    blake2b_final(&ctx, out);
}

/* ---- growable output buffers ----------------------------------------------------------------- */

typedef struct {
    uint8_t *data;
    size_t len, cap;
    PyObject *obj;  /* the bytearray holding data (see buf_prealloc), or NULL: data is PyMem_Raw memory */
} buf_t;

static int buf_reserve(buf_t *b, size_t extra) {
    if (b->len + extra <= b->cap) return 0;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + extra) cap *= 2;
    if (b->obj) {
        if (PyByteArray_Resize(b->obj, (Py_ssize_t)cap) < 0) {
            PyErr_Clear();
            return -1;
        }
        b->data = (uint8_t *)PyByteArray_AS_STRING(b->obj);
        b->cap = cap;
        return 0;
    }
    uint8_t *d = (uint8_t *)PyMem_RawRealloc(b->data, cap);
    if (!d) return -1;
    b->data = d;
    b->cap = cap;
    return 0;
}

/* An empty buffer with room for `cap` bytes in a bytearray that buf_take hands out without a copy
 * (reserved once for a whole call: untouched pages cost nothing). -1 when out of memory. */
static int buf_prealloc(buf_t *b, size_t cap) {
    b->obj = PyByteArray_FromStringAndSize(NULL, (Py_ssize_t)(cap ? cap : 1));
    if (!b->obj) {
        PyErr_Clear();
        return -1;
    }
    b->data = (uint8_t *)PyByteArray_AS_STRING(b->obj);
    b->len = 0;
    b->cap = cap ? cap : 1;
    return 0;
}

static void buf_free(buf_t *b) {
    if (b->obj) Py_CLEAR(b->obj);
    else PyMem_RawFree(b->data);
    b->data = NULL;
}

static inline void buf_put(buf_t *b, const void *src, size_t n) {  /* after buf_reserve */
    memcpy(b->data + b->len, src, n);
    b->len += n;
}

static PyObject *buf_bytes(buf_t *b) {
    return PyByteArray_FromStringAndSize((const char *)b->data, (Py_ssize_t)b->len);
}

/* The buffer as a bytearray of its length: its own (cut to size), else a copy. */
static PyObject *buf_take(buf_t *b) {
    if (!b->obj) return buf_bytes(b);
    if (PyByteArray_Resize(b->obj, (Py_ssize_t)b->len) < 0) return NULL;
    PyObject *taken = b->obj;
    b->obj = NULL;
    b->data = NULL;
    return taken;
}

static inline int is_space(uint8_t c) {  /* what bytes.split() splits on */
    return c <= ' ' && ((1ULL << c) & ((1ULL << ' ') | (1ULL << '\t') | (1ULL << '\n') | (1ULL << '\r')
                                         | (1ULL << 0x0b) | (1ULL << 0x0c)));
}

/* ---- analyze ----------------------------------------------------------------------------------- */

/* Bit i of bits[i / 64] set where s[i] is ASCII whitespace (what bytes.split() splits on), for
 * i < n; the bits past n are set too. With AVX2, 32 bytes a step. */
#ifdef HAVE_AVX2
__attribute__((target("avx2"))) static void space_bits_avx2(const uint8_t *s, size_t n, uint64_t *bits) {
    const __m256i blank = _mm256_set1_epi8(' '), nine = _mm256_set1_epi8(9), four = _mm256_set1_epi8(4);
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        const __m256i x = _mm256_loadu_si256((const __m256i *)(s + i));
        const __m256i y = _mm256_sub_epi8(x, nine);  /* \t \n \v \f \r: 0 to 4 once 9 is taken off */
        const __m256i hit = _mm256_or_si256(_mm256_cmpeq_epi8(x, blank),
                                            _mm256_cmpeq_epi8(_mm256_min_epu8(y, four), y));
        const uint64_t m = (uint32_t)_mm256_movemask_epi8(hit);
        if (i % 64 == 0) bits[i / 64] = m;
        else bits[i / 64] |= m << 32;
    }
    for (; i < n; i++) {
        if (i % 64 == 0) bits[i / 64] = 0;
        bits[i / 64] |= (uint64_t)is_space(s[i]) << (i % 64);
    }
    if (n % 64) bits[n / 64] |= ~0ULL << (n % 64);
}
#endif

static void space_bits_plain(const uint8_t *s, size_t n, uint64_t *bits) {
    for (size_t w = 0; w * 64 < n; w++) {
        uint64_t m = 0;
        const size_t end = n - w * 64 < 64 ? n - w * 64 : 64;
        for (size_t j = 0; j < end; j++) m |= (uint64_t)is_space(s[w * 64 + j]) << j;
        if (end < 64) m |= ~0ULL << end;
        bits[w] = m;
    }
}

static void space_bits(const uint8_t *s, size_t n, uint64_t *bits) {
#ifdef HAVE_AVX2
    if (cpu_avx2()) {
        space_bits_avx2(s, n, bits);
        return;
    }
#endif
    space_bits_plain(s, n, bits);
}

/* The tokens of s[0..n) (runs of non-whitespace) from its whitespace bits: their starts and
 * (exclusive) ends, in order; returns how many. Bit tricks, no branch per byte. */
static size_t token_spans(const uint64_t *bits, size_t n, int64_t *start, int64_t *end) {
    size_t ns = 0, ne = 0;
    uint64_t space_before = 1, word_before = 0;  /* the byte before the text counts as a space */
    for (size_t w = 0; w * 64 < n; w++) {
        const uint64_t sp = bits[w], word = ~sp;
        uint64_t starts = word & ((sp << 1) | space_before), ends = sp & ((word << 1) | word_before);
        space_before = sp >> 63;
        word_before = word >> 63;
        while (starts) {
            start[ns++] = (int64_t)(64 * w + (size_t)__builtin_ctzll(starts));
            starts &= starts - 1;
        }
        while (ends) {
            end[ne++] = (int64_t)(64 * w + (size_t)__builtin_ctzll(ends));
            ends &= ends - 1;
        }
    }
    if (ne < ns) end[ne++] = (int64_t)n;  /* a token that runs to the end (n a multiple of 64) */
    return ns;
}

/* SipHash-2-4 of four inputs of at most 7 bytes at once, each given as its one (last) block:
 * the bytes little-endian with the length in the top byte. Written lane by lane so that the
 * compiler runs the four in parallel (vector registers where the CPU has them). */
static inline __attribute__((always_inline)) void siphash24_short4(const uint64_t *b, uint64_t k0, uint64_t k1,
                                                                    uint64_t *out) {
    uint64_t v0[4], v1[4], v2[4], v3[4];
    for (int l = 0; l < 4; l++) {
        v0[l] = 0x736f6d6570736575ULL ^ k0; v1[l] = 0x646f72616e646f6dULL ^ k1;
        v2[l] = 0x6c7967656e657261ULL ^ k0; v3[l] = 0x7465646279746573ULL ^ k1 ^ b[l];
    }
#define SIPROUND4                                                                                \
    for (int l = 0; l < 4; l++) {                                                                \
        v0[l] += v1[l]; v1[l] = ROTL64(v1[l], 13); v1[l] ^= v0[l]; v0[l] = ROTL64(v0[l], 32);   \
        v2[l] += v3[l]; v3[l] = ROTL64(v3[l], 16); v3[l] ^= v2[l];                               \
        v0[l] += v3[l]; v3[l] = ROTL64(v3[l], 21); v3[l] ^= v0[l];                               \
        v2[l] += v1[l]; v1[l] = ROTL64(v1[l], 17); v1[l] ^= v2[l]; v2[l] = ROTL64(v2[l], 32);   \
    }
    SIPROUND4 SIPROUND4
    for (int l = 0; l < 4; l++) {
        v0[l] ^= b[l];
        v2[l] ^= 0xff;
    }
    SIPROUND4 SIPROUND4 SIPROUND4 SIPROUND4
#undef SIPROUND4
    for (int l = 0; l < 4; l++) out[l] = v0[l] ^ v1[l] ^ v2[l] ^ v3[l];
}

/* The word hashes (SipHash-2-4, then pandas' splitmix finalizer) of the tokens s[start[t] ..
 * start[t] + len[t]), little-endian into out[8t .. 8t + 8): words shorter than 8 bytes (most)
 * four at a time, longer ones one by one. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
__attribute__((target_clones("avx2", "default")))
#endif
static void hash_words(const uint8_t *s, Py_ssize_t size, const int64_t *start, const int32_t *len,
                       size_t count, uint64_t k0, uint64_t k1, uint8_t *out) {
    uint64_t lane[4], hashed[4];
    size_t slot[4];
    int filled = 0;
    for (size_t t = 0; t < count; t++) {
        const uint8_t *p = s + start[t];
        const size_t n = (size_t)len[t];
        if (n >= 8) {
            store64(out + 8 * t, splitmix_final(siphash24(p, n, k0, k1)));
            continue;
        }
        uint64_t m = 0;
        if (start[t] + 8 <= size) {
            m = load64(p) & ((1ULL << (8 * n)) - 1);
        } else {
            for (size_t j = 0; j < n; j++) m |= ((uint64_t)p[j]) << (8 * j);
        }
        lane[filled] = m | ((uint64_t)n << 56);
        slot[filled++] = t;
        if (filled == 4) {
            siphash24_short4(lane, k0, k1, hashed);
            for (int l = 0; l < 4; l++) store64(out + 8 * slot[l], splitmix_final(hashed[l]));
            filled = 0;
        }
    }
    if (filled) {
        for (int l = filled; l < 4; l++) lane[l] = 0;
        siphash24_short4(lane, k0, k1, hashed);
        for (int l = 0; l < filled; l++) store64(out + 8 * slot[l], splitmix_final(hashed[l]));
    }
}

/* One view's growing arrays (see analyze): word hashes, quoted flags, word offsets, paragraph
 * hashes, paragraph word counts, paragraph offsets, fingerprints; and the running totals. */
typedef struct {
    buf_t wh, wq, wo, ph, pw, po, fp;
    int64_t n_words, n_paras;
} view_t;

/* Per-article scratch: token starts, lengths and ends, whitespace bits, folded bytes, and the
 * noisy view's word hashes. */
typedef struct {
    buf_t ts, tl, te, sb, fb, nh;
} scratch_t;

static void view_free(view_t *v) {
    buf_free(&v->wh); buf_free(&v->wq); buf_free(&v->wo); buf_free(&v->ph); buf_free(&v->pw); buf_free(&v->po);
    buf_free(&v->fp);
}

static void scratch_free(scratch_t *sc) {
    PyMem_RawFree(sc->ts.data); PyMem_RawFree(sc->tl.data); PyMem_RawFree(sc->te.data);
    PyMem_RawFree(sc->sb.data); PyMem_RawFree(sc->fb.data); PyMem_RawFree(sc->nh.data);
}

/* Room for n articles with at most `tokens` tokens in all (each article's bound, see analyze_one,
 * summed), in the bytearrays the view's arrays are handed out in, and the leading zero offsets;
 * -1 when out of memory. */
static int view_start(view_t *v, Py_ssize_t n, size_t tokens) {
    if (buf_prealloc(&v->wh, 8 * tokens) || buf_prealloc(&v->wq, tokens) || buf_prealloc(&v->ph, 8 * tokens)
        || buf_prealloc(&v->pw, 4 * tokens) || buf_prealloc(&v->wo, 8 * (size_t)(n + 1))
        || buf_prealloc(&v->po, 8 * (size_t)(n + 1)) || buf_prealloc(&v->fp, 12 * (size_t)n))
        return -1;
    buf_put(&v->wo, &v->n_words, 8);
    buf_put(&v->po, &v->n_paras, 8);
    return 0;
}

static PyObject *view_result(view_t *v) {
    return Py_BuildValue("(NNNNNNN)", buf_take(&v->wh), buf_take(&v->wq), buf_take(&v->wo), buf_take(&v->ph),
                         buf_take(&v->pw), buf_take(&v->po), buf_take(&v->fp));
}

/* The most tokens (runs of non-spaces) `len` bytes of token bytes can hold, and one more. */
static inline size_t most_tokens(Py_ssize_t len) {
    return (size_t)(len + 1) / 2 + 1;
}

/* Room for one article of `len` token bytes with at most `most` tokens. */
static int view_reserve(view_t *v, size_t most) {
    return buf_reserve(&v->wh, 8 * most) || buf_reserve(&v->wq, most) || buf_reserve(&v->ph, 8 * most)
           || buf_reserve(&v->pw, 4 * most);
}

/* ---- many BLAKE2b digests at once: four messages a step where the CPU has AVX2 ---------------- */

typedef struct {
    const uint8_t *in;
    size_t len;
    uint8_t *out;
    size_t outlen;
} b2job;

static void b2_plain(const b2job *jobs, size_t n) {
    for (size_t j = 0; j < n; j++) blake2b_digest(jobs[j].in, jobs[j].len, jobs[j].out, jobs[j].outlen);
}

#ifdef HAVE_AVX2
#define B2_ROR32(x) _mm256_shuffle_epi32((x), _MM_SHUFFLE(2, 3, 0, 1))
#define B2_ROR24(x) _mm256_shuffle_epi8((x), r24)
#define B2_ROR16(x) _mm256_shuffle_epi8((x), r16)
#define B2_ROR63(x) _mm256_or_si256(_mm256_srli_epi64((x), 63), _mm256_add_epi64((x), (x)))
#define B2_G4(a, b, c, d, x, y)                                              \
    do {                                                                     \
        a = _mm256_add_epi64(_mm256_add_epi64(a, b), x);                     \
        d = B2_ROR32(_mm256_xor_si256(d, a));                                \
        c = _mm256_add_epi64(c, d);                                          \
        b = B2_ROR24(_mm256_xor_si256(b, c));                                \
        a = _mm256_add_epi64(_mm256_add_epi64(a, b), y);                     \
        d = B2_ROR16(_mm256_xor_si256(d, a));                                \
        c = _mm256_add_epi64(c, d);                                          \
        b = B2_ROR63(_mm256_xor_si256(b, c));                                \
    } while (0)

/* One compression in each of four lanes: h[i] holds state word i of every lane, m[i] message word
 * i, t the byte counters, f the final-block flags (all ones or zero). */
__attribute__((target("avx2"))) static void b2_compress4(__m256i h[8], const __m256i m[16], __m256i t, __m256i f) {
    const __m256i r24 = _mm256_setr_epi8(3, 4, 5, 6, 7, 0, 1, 2, 11, 12, 13, 14, 15, 8, 9, 10,
                                         3, 4, 5, 6, 7, 0, 1, 2, 11, 12, 13, 14, 15, 8, 9, 10);
    const __m256i r16 = _mm256_setr_epi8(2, 3, 4, 5, 6, 7, 0, 1, 10, 11, 12, 13, 14, 15, 8, 9,
                                         2, 3, 4, 5, 6, 7, 0, 1, 10, 11, 12, 13, 14, 15, 8, 9);
    __m256i v0 = h[0], v1 = h[1], v2 = h[2], v3 = h[3], v4 = h[4], v5 = h[5], v6 = h[6], v7 = h[7];
    __m256i v8 = _mm256_set1_epi64x((long long)blake2b_iv[0]), v9 = _mm256_set1_epi64x((long long)blake2b_iv[1]);
    __m256i v10 = _mm256_set1_epi64x((long long)blake2b_iv[2]), v11 = _mm256_set1_epi64x((long long)blake2b_iv[3]);
    __m256i v12 = _mm256_xor_si256(_mm256_set1_epi64x((long long)blake2b_iv[4]), t);
    __m256i v13 = _mm256_set1_epi64x((long long)blake2b_iv[5]);  /* messages under 2**64 bytes: t[1] = 0 */
    __m256i v14 = _mm256_xor_si256(_mm256_set1_epi64x((long long)blake2b_iv[6]), f);
    __m256i v15 = _mm256_set1_epi64x((long long)blake2b_iv[7]);
#define B2_ROUND4(r)                                                                              \
    do {                                                                                          \
        B2_G4(v0, v4, v8, v12, m[blake2b_sigma[(r) % 10][0]], m[blake2b_sigma[(r) % 10][1]]);     \
        B2_G4(v1, v5, v9, v13, m[blake2b_sigma[(r) % 10][2]], m[blake2b_sigma[(r) % 10][3]]);     \
        B2_G4(v2, v6, v10, v14, m[blake2b_sigma[(r) % 10][4]], m[blake2b_sigma[(r) % 10][5]]);    \
        B2_G4(v3, v7, v11, v15, m[blake2b_sigma[(r) % 10][6]], m[blake2b_sigma[(r) % 10][7]]);    \
        B2_G4(v0, v5, v10, v15, m[blake2b_sigma[(r) % 10][8]], m[blake2b_sigma[(r) % 10][9]]);    \
        B2_G4(v1, v6, v11, v12, m[blake2b_sigma[(r) % 10][10]], m[blake2b_sigma[(r) % 10][11]]);  \
        B2_G4(v2, v7, v8, v13, m[blake2b_sigma[(r) % 10][12]], m[blake2b_sigma[(r) % 10][13]]);   \
        B2_G4(v3, v4, v9, v14, m[blake2b_sigma[(r) % 10][14]], m[blake2b_sigma[(r) % 10][15]]);   \
    } while (0)
    B2_ROUND4(0); B2_ROUND4(1); B2_ROUND4(2); B2_ROUND4(3); B2_ROUND4(4); B2_ROUND4(5);
    B2_ROUND4(6); B2_ROUND4(7); B2_ROUND4(8); B2_ROUND4(9); B2_ROUND4(10); B2_ROUND4(11);
#undef B2_ROUND4
    h[0] = _mm256_xor_si256(h[0], _mm256_xor_si256(v0, v8));
    h[1] = _mm256_xor_si256(h[1], _mm256_xor_si256(v1, v9));
    h[2] = _mm256_xor_si256(h[2], _mm256_xor_si256(v2, v10));
    h[3] = _mm256_xor_si256(h[3], _mm256_xor_si256(v3, v11));
    h[4] = _mm256_xor_si256(h[4], _mm256_xor_si256(v4, v12));
    h[5] = _mm256_xor_si256(h[5], _mm256_xor_si256(v5, v13));
    h[6] = _mm256_xor_si256(h[6], _mm256_xor_si256(v6, v14));
    h[7] = _mm256_xor_si256(h[7], _mm256_xor_si256(v7, v15));
}

/* The jobs' digests, four messages in step: a lane that finishes its message takes the next job. */
__attribute__((target("avx2"))) static void b2_avx2(const b2job *jobs, size_t n) {
    uint64_t hs[8][4], ts[4], fs[4], ms[16][4];
    size_t job[4], pos[4];
    int busy[4];
    size_t next = 0;
    uint8_t pad[4][128];
    for (int l = 0; l < 4; l++) busy[l] = 0;
    for (;;) {
        int any = 0;
        for (int l = 0; l < 4; l++) {
            if (!busy[l] && next < n) {  /* start the next message in this lane */
                job[l] = next++;
                pos[l] = 0;
                busy[l] = 1;
                for (int i = 0; i < 8; i++) hs[i][l] = blake2b_iv[i];
                hs[0][l] ^= 0x01010000ULL ^ (uint64_t)jobs[job[l]].outlen;
            }
            if (!busy[l]) {  /* idle: compress zeros, thrown away */
                ts[l] = fs[l] = 0;
                for (int i = 0; i < 16; i++) ms[i][l] = 0;
                continue;
            }
            any = 1;
            const b2job *jb = &jobs[job[l]];
            const size_t left = jb->len - pos[l];
            const uint8_t *block = jb->in + pos[l];
            if (left <= 128) {  /* the last block, zero-padded */
                memset(pad[l], 0, 128);
                if (left) memcpy(pad[l], block, left);
                block = pad[l];
                ts[l] = (uint64_t)jb->len;
                fs[l] = ~0ULL;
            } else {
                ts[l] = (uint64_t)(pos[l] + 128);
                fs[l] = 0;
            }
            for (int i = 0; i < 16; i++) ms[i][l] = load64(block + 8 * i);
        }
        if (!any) break;
        __m256i h[8], m[16];
        for (int i = 0; i < 8; i++) h[i] = _mm256_loadu_si256((const __m256i *)hs[i]);
        for (int i = 0; i < 16; i++) m[i] = _mm256_loadu_si256((const __m256i *)ms[i]);
        b2_compress4(h, m, _mm256_loadu_si256((const __m256i *)ts), _mm256_loadu_si256((const __m256i *)fs));
        for (int i = 0; i < 8; i++) _mm256_storeu_si256((__m256i *)hs[i], h[i]);
        for (int l = 0; l < 4; l++) {
            if (!busy[l]) continue;
            const b2job *jb = &jobs[job[l]];
            if (fs[l]) {  /* done: the digest is the state's first outlen bytes, little-endian */
                for (size_t i = 0; i < jb->outlen; i++) jb->out[i] = (uint8_t)(hs[i >> 3][l] >> (8 * (i & 7)));
                busy[l] = 0;
            } else {
                pos[l] += 128;
            }
        }
    }
}
#undef B2_G4
#undef B2_ROR32
#undef B2_ROR24
#undef B2_ROR16
#undef B2_ROR63
#endif

/* Every job's digest, by the AVX2 lanes where the CPU has them (unless `plain`), else one by one. */
static void b2_many(const b2job *jobs, size_t n, int plain) {
#ifdef HAVE_AVX2
    if (!plain && cpu_avx2()) {
        b2_avx2(jobs, n);
        return;
    }
#endif
    (void)plain;
    b2_plain(jobs, n);
}

/* A view's paragraph hashes (BLAKE2b-8 of each paragraph's word hashes) and fingerprints
 * (BLAKE2b-12 of each article's), for its `n` articles; -1 when out of memory. */
static int view_digests(view_t *v, Py_ssize_t n) {
    const size_t n_paras = (size_t)v->n_paras, count = n_paras + (size_t)n;
    b2job *jobs = (b2job *)PyMem_RawMalloc((count ? count : 1) * sizeof(b2job));
    if (!jobs) return -1;
    size_t at = 0;
    for (size_t j = 0; j < n_paras; j++) {
        int32_t words;
        memcpy(&words, v->pw.data + 4 * j, 4);
        jobs[j] = (b2job){v->wh.data + at, 8 * (size_t)words, v->ph.data + 8 * j, 8};
        at += 8 * (size_t)words;
    }
    const int64_t *wo = (const int64_t *)v->wo.data;
    for (Py_ssize_t i = 0; i < n; i++)
        jobs[n_paras + (size_t)i] = (b2job){v->wh.data + 8 * (size_t)wo[i], 8 * (size_t)(wo[i + 1] - wo[i]),
                                            v->fp.data + 12 * (size_t)i, 12};
    b2_many(jobs, count, 0);
    PyMem_RawFree(jobs);
    return 0;
}

/* _blake2b_many(data, lengths, outlen, plain) -> bytes: BLAKE2b digests of consecutive pieces of
 * data, by the lanes or (plain) one by one, so that a test can check both against hashlib. */
static PyObject *kernel_blake2b_many(PyObject *Py_UNUSED(self), PyObject *args) {
    Py_buffer data;
    PyObject *lengths;
    Py_ssize_t outlen;
    int plain;
    if (!PyArg_ParseTuple(args, "y*O!np", &data, &PyList_Type, &lengths, &outlen, &plain)) return NULL;
    const Py_ssize_t n = PyList_GET_SIZE(lengths);
    PyObject *out = NULL;
    b2job *jobs = (b2job *)PyMem_RawMalloc((size_t)(n ? n : 1) * sizeof(b2job));
    if (outlen < 1 || outlen > 64) {
        PyErr_SetString(PyExc_ValueError, "outlen must be 1 to 64");
        goto done;
    }
    if (!jobs) {
        PyErr_NoMemory();
        goto done;
    }
    out = PyBytes_FromStringAndSize(NULL, n * outlen);
    if (!out) goto done;
    Py_ssize_t at = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        const Py_ssize_t len = PyLong_AsSsize_t(PyList_GET_ITEM(lengths, i));
        if (len < 0 || at + len > data.len) {
            if (!PyErr_Occurred()) PyErr_SetString(PyExc_ValueError, "lengths run past the data");
            Py_CLEAR(out);
            goto done;
        }
        jobs[i] = (b2job){(const uint8_t *)data.buf + at, (size_t)len, (uint8_t *)PyBytes_AS_STRING(out) + i * outlen,
                          (size_t)outlen};
        at += len;
    }
    b2_many(jobs, (size_t)n, plain);
done:
    PyMem_RawFree(jobs);
    PyBuffer_Release(&data);
    return out;
}

static void hash_word_pairs(const uint8_t *s, Py_ssize_t size, const int64_t *start, const int32_t *len,
                            size_t count, const uint64_t keys[4], uint8_t *exact, uint8_t *noisy, uint8_t *scratch);

/* One article's token bytes s[0..len) into view v: its words hashed under (k0, k1), quotation
 * parity, paragraphs; its paragraph hashes and fingerprint are left zero (view_digests). The
 * words' spans stay in sc->ts (starts, int64) and sc->tl (lengths, int32); returns how many
 * words, or -1 when out of memory. With `pair_keys` (the two views' keys, see hash_word_pairs)
 * each word's noisy-view hash goes to sc->nh as well. */
static Py_ssize_t analyze_one(view_t *v, scratch_t *sc, const uint8_t *s, Py_ssize_t len, uint64_t k0, uint64_t k1,
                              const uint64_t *pair_keys) {
    /* at most (len + 1) / 2 tokens: reserve for the worst case once per article */
    size_t most = most_tokens(len);
    if (view_reserve(v, most) || buf_reserve(&sc->ts, 8 * most) || buf_reserve(&sc->tl, 4 * most)
        || buf_reserve(&sc->te, 8 * most) || buf_reserve(&sc->sb, 8 * ((size_t)len / 64 + 1)))
        return -1;
    /* First the structure: each word's place (hashed below, all at once), quotation parity,
     * and paragraph lengths (their digests wait for the hashes). */
    const size_t first_word = v->wh.len;
    const int64_t first_para = v->n_paras;
    int64_t *tstart = (int64_t *)sc->ts.data;
    int32_t *tlen = (int32_t *)sc->tl.data;
    size_t words = 0;
    int parity = 0;        /* quotation marks seen since the paragraph began */
    int32_t para_len = 0;  /* words in the current paragraph so far */
    space_bits(s, (size_t)len, (uint64_t *)sc->sb.data);
    int64_t *tend = (int64_t *)sc->te.data;
    const size_t n_tokens = token_spans((const uint64_t *)sc->sb.data, (size_t)len, tstart, tend);
    uint8_t *wq = v->wq.data + v->wq.len;
    for (size_t k = 0; k < n_tokens; k++) {
        const Py_ssize_t p = (Py_ssize_t)tstart[k], q = (Py_ssize_t)tend[k];
        if (q - p == 1 && (s[p] == '"' || s[p] == 0)) {
            if (s[p] == 0) {  /* paragraph break: close the paragraph, reset the parity */
                if (para_len) {
                    v->ph.len += 8;
                    buf_put(&v->pw, &para_len, 4);
                    v->n_paras++;
                }
                para_len = 0;
                parity = 0;
            } else {
                parity ^= 1;
            }
        } else {
            tstart[words] = p;  /* words <= k: overwrites only token starts already read */
            tlen[words] = (int32_t)(q - p);
            wq[words] = (uint8_t)parity;
            words++;
            para_len++;
        }
    }
    v->wq.len += words;
    if (para_len) {
        v->ph.len += 8;
        buf_put(&v->pw, &para_len, 4);
        v->n_paras++;
    }
    if (pair_keys) {  /* the noisy view's hashes too, into sc->nh (see hash_word_pairs) */
        if (buf_reserve(&sc->nh, 8 * words + 8) || buf_reserve(&sc->fb, (size_t)len + 1)) return -1;
        hash_word_pairs(s, len, tstart, tlen, words, pair_keys, v->wh.data + first_word, sc->nh.data, sc->fb.data);
    } else {
        hash_words(s, len, tstart, tlen, words, k0, k1, v->wh.data + first_word);
    }
    v->wh.len += 8 * words;
    v->n_words += (int64_t)words;
    /* paragraph hashes and fingerprints: zero until view_digests computes them, for every article at once */
    const uint8_t d12[12] = {0};
    memset(v->ph.data + 8 * (size_t)first_para, 0, 8 * (size_t)(v->n_paras - first_para));
    buf_put(&v->fp, d12, 12);
    buf_put(&v->wo, &v->n_words, 8);
    buf_put(&v->po, &v->n_paras, 8);
    return (Py_ssize_t)words;
}

/* The 16-byte SipHash key in `key` as two words; -1 (with a ValueError) if it is not 16 bytes. */
static int siphash_key(Py_buffer *key, uint64_t *k0, uint64_t *k1) {
    if (key->len != 16) {
        PyErr_SetString(PyExc_ValueError, "key must be 16 bytes");
        return -1;
    }
    *k0 = load64((const uint8_t *)key->buf);
    *k1 = load64((const uint8_t *)key->buf + 8);
    return 0;
}

static PyObject *kernel_analyze(PyObject *Py_UNUSED(self), PyObject *args) {
    PyObject *texts;
    Py_buffer key;
    int digests = 1;  /* 0: leave paragraph hashes and fingerprints zero (the noisy view needs neither) */
    if (!PyArg_ParseTuple(args, "O!y*|p", &PyList_Type, &texts, &key, &digests)) return NULL;
    uint64_t k0, k1;
    const int bad_key = siphash_key(&key, &k0, &k1);
    PyBuffer_Release(&key);
    if (bad_key) return NULL;

    Py_ssize_t n = PyList_GET_SIZE(texts);
    view_t v = {0};
    scratch_t sc = {0};
    PyObject *result = NULL;
    size_t tokens = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *item = PyList_GET_ITEM(texts, i);
        if (!PyBytes_Check(item)) {
            PyErr_Format(PyExc_TypeError, "item %zd is not bytes", i);
            goto done;
        }
        tokens += most_tokens(PyBytes_GET_SIZE(item));
    }
    if (view_start(&v, n, tokens)) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *item = PyList_GET_ITEM(texts, i);
        if (analyze_one(&v, &sc, (const uint8_t *)PyBytes_AS_STRING(item), PyBytes_GET_SIZE(item), k0, k1,
                        NULL) < 0) {
            PyErr_NoMemory();
            goto done;
        }
    }
    if (digests && view_digests(&v, n) < 0) {
        PyErr_NoMemory();
        goto done;
    }
    result = view_result(&v);
done:
    view_free(&v);
    scratch_free(&sc);
    return result;
}


/* Checks that offsets[0..n] rise within 0..n_values (else sets a ValueError naming `who` and
 * returns -1); returns the longest row. */
static Py_ssize_t check_offsets(const int64_t *off, Py_ssize_t n, Py_ssize_t n_values, const char *who) {
    Py_ssize_t longest = 0;
    for (Py_ssize_t i = 0; i <= n; i++) {
        if (off[i] < 0 || off[i] > n_values || (i && off[i] < off[i - 1])) {
            PyErr_Format(PyExc_ValueError, "%s: offsets out of range", who);
            return -1;
        }
        if (i && off[i] - off[i - 1] > longest) longest = (Py_ssize_t)(off[i] - off[i - 1]);
    }
    return longest;
}

/* ---- shingles ---------------------------------------------------------------------------------- */

/* MurmurHash3's finalizer, of either width (sign.fmix in numpy). */
#define FMIX(h, s1, m1, s2, m2, s3) \
    do { h ^= h >> s1; h *= m1; h ^= h >> s2; h *= m2; h ^= h >> s3; } while (0)

static inline uint64_t fmix64(uint64_t h) {
    FMIX(h, 33, 0xFF51AFD7ED558CCDULL, 33, 0xC4CEB9FE1A85EC53ULL, 33);
    return h;
}

/* Sorts n keys below 2**36 (here: 33-bit keys, hash << 1 | all-quoted flag) with four 9-bit LSD
 * radix passes; an even number of passes leaves them back in `keys`. */
static void radix_sort36(uint64_t *keys, uint64_t *tmp, size_t n) {
    uint32_t count[512];
    uint64_t *src = keys, *dst = tmp;
    for (int pass = 0; pass < 4; pass++) {
        const int shift = 9 * pass;
        memset(count, 0, sizeof(count));
        for (size_t i = 0; i < n; i++) count[(src[i] >> shift) & 511]++;
        uint32_t sum = 0;
        for (int d = 0; d < 512; d++) {
            uint32_t c = count[d];
            count[d] = sum;
            sum += c;
        }
        for (size_t i = 0; i < n; i++) dst[count[(src[i] >> shift) & 511]++] = src[i];
        uint64_t *swap = src;
        src = dst;
        dst = swap;
    }
}

/* Sorts n keys below 2**33 whose top bits are uniform (hash << 1 | flag): one counting pass puts
 * them in about n buckets by their top bits (`count` holds 2**bits + 1 slots, bits <= BUCKET_BITS),
 * then an insertion sort moves each key within its bucket only, so about linear. A bucket of more
 * than 64 keys (hashes made to collide) falls back to radix_sort36, so never quadratic. Sorted
 * keys end up in `keys`, as radix_sort36 leaves them. */
#define BUCKET_BITS 20
static void bucket_sort33(uint64_t *keys, uint64_t *tmp, uint32_t *count, size_t n) {
    if (n < 2) return;
    int bits = 1;
    while (((size_t)1 << bits) < n && bits < BUCKET_BITS) bits++;
    const size_t buckets = (size_t)1 << bits;
    const int shift = 33 - bits;
    memset(count, 0, 4 * (buckets + 1));
    for (size_t i = 0; i < n; i++) count[(keys[i] >> shift) + 1]++;
    uint32_t widest = 0;
    for (size_t d = 1; d <= buckets; d++) {
        if (count[d] > widest) widest = count[d];
        count[d] += count[d - 1];
    }
    if (widest > 64) {
        radix_sort36(keys, tmp, n);
        return;
    }
    for (size_t i = 0; i < n; i++) tmp[count[keys[i] >> shift]++] = keys[i];
    keys[0] = tmp[0];
    for (size_t i = 1; i < n; i++) {
        const uint64_t x = tmp[i];
        size_t j = i;
        while (j > 0 && keys[j - 1] > x) {
            keys[j] = keys[j - 1];
            j--;
        }
        keys[j] = x;
    }
}

/* The bucket count `bucket_sort33` needs for up to `longest` keys. */
static size_t bucket_slots(size_t longest) {
    int bits = 1;
    while (((size_t)1 << bits) < longest && bits < BUCKET_BITS) bits++;
    return ((size_t)1 << bits) + 1;
}

/* The keys ((hash << 1) | all words quoted) of the `windows` k-word windows of `win`/`wq`, with
 * ke <= k words each: one pass over the windows per word position, so that the compiler makes
 * each pass wide (AVX-512 or AVX2 copies, picked at load time where the CPU has them). */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
__attribute__((target_clones("avx512f", "avx2", "default")))
#endif
static void window_keys(const uint64_t *restrict win, const uint8_t *restrict wq, size_t windows, size_t ke,
                        const uint64_t *restrict pm, uint64_t *restrict keys, uint8_t *restrict quoted) {
    for (size_t s = 0; s < windows; s++) {
        keys[s] = (uint64_t)ke;
        quoted[s] = 1;
    }
    for (size_t j = 0; j < ke; j++) {
        const uint64_t m = pm[j];
        for (size_t s = 0; s < windows; s++) {
            keys[s] += win[s + j] * m;
            quoted[s] &= wq[s + j];
        }
    }
    for (size_t s = 0; s < windows; s++) keys[s] = ((fmix64(keys[s]) >> 32) << 1) | (uint64_t)(quoted[s] & 1);
}

/* Article i's shingle keys ((hash << 1) | all words quoted), sorted, in `keys` (its kept words
 * gathered in `win`/`wq` first; `quoted` is room for a flag a window); returns how many. */
static size_t shingle_keys(const uint64_t *w, const uint8_t *q, const uint8_t *kp, int64_t from, int64_t to,
                           const uint64_t *pm, int k, uint64_t *win, uint8_t *wq, uint64_t *keys, uint64_t *tmp,
                           uint32_t *count) {
    size_t m = 0;
    for (int64_t x = from; x < to; x++) {
        win[m] = w[x];
        wq[m] = q[x];
        m += kp[x] != 0;
    }
    if (m == 0) return 0;
    const size_t ke = m < (size_t)k ? m : (size_t)k;  /* fewer words than k: one shingle */
    const size_t windows = m - ke + 1;
    window_keys(win, wq, windows, ke, pm, keys, (uint8_t *)tmp);
    bucket_sort33(keys, tmp, count, windows);
    return windows;
}

static PyObject *kernel_shingle(PyObject *Py_UNUSED(self), PyObject *args) {
    Py_buffer words, quoted, offsets, keep, mult;
    int k;
    if (!PyArg_ParseTuple(args, "y*y*y*y*y*i", &words, &quoted, &offsets, &keep, &mult, &k)) return NULL;
    PyObject *result = NULL;
    uint64_t *win = NULL, *keys = NULL, *tmp = NULL;
    uint8_t *wq = NULL;
    uint32_t *count = NULL;
    buf_t hs = {0}, uq = {0}, so = {0};
    const Py_ssize_t n_words = words.len / 8, n = offsets.len / 8 - 1;
    if (words.len % 8 || quoted.len != n_words || keep.len != n_words || offsets.len % 8 || n < 0
        || k < 1 || mult.len != 8 * (Py_ssize_t)k) {
        PyErr_SetString(PyExc_ValueError, "shingle: bad buffer sizes");
        goto done;
    }
    const uint64_t *w = (const uint64_t *)words.buf, *pm = (const uint64_t *)mult.buf;
    const uint8_t *q = (const uint8_t *)quoted.buf, *kp = (const uint8_t *)keep.buf;
    const int64_t *off = (const int64_t *)offsets.buf;
    const Py_ssize_t longest = check_offsets(off, n, n_words, "shingle");
    if (longest < 0) goto done;
    win = (uint64_t *)PyMem_RawMalloc(8 * (size_t)(longest + 1));
    keys = (uint64_t *)PyMem_RawMalloc(8 * (size_t)(longest + 1));
    tmp = (uint64_t *)PyMem_RawMalloc(8 * (size_t)(longest + 1));
    wq = (uint8_t *)PyMem_RawMalloc((size_t)(longest + 1));
    count = (uint32_t *)PyMem_RawMalloc(4 * bucket_slots((size_t)longest + 1));
    if (!win || !keys || !tmp || !wq || !count || buf_reserve(&so, 8 * (size_t)(n + 1))) {
        PyErr_NoMemory();
        goto done;
    }
    int64_t total = 0;
    buf_put(&so, &total, 8);
    for (Py_ssize_t i = 0; i < n; i++) {
        const size_t n_keys = shingle_keys(w, q, kp, off[i], off[i + 1], pm, k, win, wq, keys, tmp, count);
        if (buf_reserve(&hs, 4 * n_keys) || buf_reserve(&uq, n_keys)) {
            PyErr_NoMemory();
            goto done;
        }
        for (size_t s = 0; s < n_keys; s++) {  /* first of each hash: unquoted if any window is */
            if (s && (keys[s] >> 1) == (keys[s - 1] >> 1)) continue;
            uint32_t h = (uint32_t)(keys[s] >> 1);
            uint8_t u = (uint8_t)((keys[s] & 1) == 0);
            buf_put(&hs, &h, 4);
            buf_put(&uq, &u, 1);
            total++;
        }
        buf_put(&so, &total, 8);
    }
    result = Py_BuildValue("(NNN)", buf_bytes(&hs), buf_bytes(&uq), buf_bytes(&so));
done:
    PyMem_RawFree(win); PyMem_RawFree(keys); PyMem_RawFree(tmp); PyMem_RawFree(wq); PyMem_RawFree(count);
    PyMem_RawFree(hs.data); PyMem_RawFree(uq.data); PyMem_RawFree(so.data);
    PyBuffer_Release(&words); PyBuffer_Release(&quoted); PyBuffer_Release(&offsets);
    PyBuffer_Release(&keep); PyBuffer_Release(&mult);
    return result;
}

/* ---- minhash ----------------------------------------------------------------------------------- */

static inline uint32_t fmix32(uint32_t h) {
    FMIX(h, 16, 0x85EBCA6BU, 13, 0xC2B2AE35U, 16);
    return h;
}

#define MAX_PERM 1024

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
/* One build for every x86-64 CPU, with an AVX2 copy picked at load time where the CPU has it:
 * the per-permutation loop then runs 8 multiplies wide instead of 4. */
__attribute__((target_clones("avx2", "default")))
#endif
static void minhash_rows(const uint32_t *v, const int64_t *off, Py_ssize_t n, const uint32_t *pa,
                         const uint32_t *pb, Py_ssize_t k, uint32_t *sig) {
    uint32_t acc[MAX_PERM];
    for (Py_ssize_t i = 0; i < n; i++) {
        for (Py_ssize_t j = 0; j < k; j++) acc[j] = 0xFFFFFFFFU;
        for (int64_t x = off[i]; x < off[i + 1]; x++) {
            const uint32_t h = fmix32(v[x]);
            for (Py_ssize_t j = 0; j < k; j++) {  /* vectorized by the compiler */
                const uint32_t y = pa[j] * h + pb[j];
                acc[j] = y < acc[j] ? y : acc[j];
            }
        }
        memcpy(sig + i * k, acc, 4 * (size_t)k);
    }
}

static PyObject *kernel_minhash(PyObject *Py_UNUSED(self), PyObject *args) {
    Py_buffer values, offsets, a, b;
    if (!PyArg_ParseTuple(args, "y*y*y*y*", &values, &offsets, &a, &b)) return NULL;
    PyObject *out = NULL;
    const Py_ssize_t n_values = values.len / 4, n = offsets.len / 8 - 1, k = a.len / 4;
    if (values.len % 4 || offsets.len % 8 || n < 0 || a.len != b.len || a.len % 4 || k < 1 || k > MAX_PERM) {
        PyErr_SetString(PyExc_ValueError, "minhash: bad buffer sizes");
        goto done;
    }
    const uint32_t *v = (const uint32_t *)values.buf, *pa = (const uint32_t *)a.buf, *pb = (const uint32_t *)b.buf;
    const int64_t *off = (const int64_t *)offsets.buf;
    if (check_offsets(off, n, n_values, "minhash") < 0) goto done;
    out = PyByteArray_FromStringAndSize(NULL, (Py_ssize_t)(4 * n * k));
    if (!out) goto done;
    uint32_t *sig = (uint32_t *)PyByteArray_AS_STRING(out);
    Py_BEGIN_ALLOW_THREADS
    minhash_rows(v, off, n, pa, pb, k, sig);
    Py_END_ALLOW_THREADS
done:
    PyBuffer_Release(&values); PyBuffer_Release(&offsets); PyBuffer_Release(&a); PyBuffer_Release(&b);
    return out;
}

/* ---- shingles and their MinHash in one pass ------------------------------------------------------- */

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
__attribute__((target_clones("avx512f", "avx2", "default")))
#endif
static void minhash_fold(const uint32_t *v, size_t m, const uint32_t *pa, const uint32_t *pb, Py_ssize_t k,
                         uint32_t *row) {
    uint32_t acc[MAX_PERM];  /* local, so that the compiler knows nothing else writes it */
    for (Py_ssize_t j = 0; j < k; j++) acc[j] = 0xFFFFFFFFU;
    for (size_t x = 0; x < m; x++) {
        const uint32_t h = fmix32(v[x]);
        for (Py_ssize_t j = 0; j < k; j++) {  /* vectorized by the compiler */
            const uint32_t y = pa[j] * h + pb[j];
            acc[j] = y < acc[j] ? y : acc[j];
        }
    }
    memcpy(row, acc, 4 * (size_t)k);
}

/* shingle() and minhash() of each article while its set is in cache: the set's hashes divisible
 * by `sample` (all of them for 1) are the MinHash row's values. */
static PyObject *kernel_shingle_minhash(PyObject *Py_UNUSED(self), PyObject *args) {
    Py_buffer words, quoted, offsets, keep, mult, a, b;
    int k;
    unsigned int sample;
    if (!PyArg_ParseTuple(args, "y*y*y*y*y*iy*y*I", &words, &quoted, &offsets, &keep, &mult, &k, &a, &b, &sample))
        return NULL;
    PyObject *result = NULL, *hs = NULL, *uq = NULL, *so = NULL, *sig_out = NULL;
    uint64_t *win = NULL, *keys = NULL, *tmp = NULL;
    uint32_t *count = NULL, *picked = NULL;
    uint8_t *wq = NULL;
    const Py_ssize_t n_words = words.len / 8, n = offsets.len / 8 - 1, np_ = a.len / 4;
    if (words.len % 8 || quoted.len != n_words || keep.len != n_words || offsets.len % 8 || n < 0
        || k < 1 || mult.len != 8 * (Py_ssize_t)k || a.len != b.len || a.len % 4 || np_ < 1 || np_ > MAX_PERM
        || sample < 1) {
        PyErr_SetString(PyExc_ValueError, "shingle_minhash: bad buffer sizes");
        goto done;
    }
    const uint64_t *w = (const uint64_t *)words.buf, *pm = (const uint64_t *)mult.buf;
    const uint8_t *q = (const uint8_t *)quoted.buf, *kp = (const uint8_t *)keep.buf;
    const uint32_t *pa = (const uint32_t *)a.buf, *pb = (const uint32_t *)b.buf;
    const int64_t *off = (const int64_t *)offsets.buf;
    const Py_ssize_t longest = check_offsets(off, n, n_words, "shingle_minhash");
    if (longest < 0) goto done;
    win = (uint64_t *)PyMem_RawMalloc(8 * (size_t)(longest + 1));
    keys = (uint64_t *)PyMem_RawMalloc(8 * (size_t)(longest + 1));
    tmp = (uint64_t *)PyMem_RawMalloc(8 * (size_t)(longest + 1));
    picked = (uint32_t *)PyMem_RawMalloc(4 * (size_t)(longest + 1));
    wq = (uint8_t *)PyMem_RawMalloc((size_t)(longest + 1));
    count = (uint32_t *)PyMem_RawMalloc(4 * bucket_slots((size_t)longest + 1));
    /* an article has at most as many shingles as kept words (one when it has fewer than k, none
     * without any): n_words slots hold them all, and are cut to size after */
    hs = PyByteArray_FromStringAndSize(NULL, 4 * n_words);
    uq = PyByteArray_FromStringAndSize(NULL, n_words);
    so = PyByteArray_FromStringAndSize(NULL, 8 * (n + 1));
    sig_out = PyByteArray_FromStringAndSize(NULL, (Py_ssize_t)(4 * n * np_));
    if (!win || !keys || !tmp || !picked || !wq || !count || !hs || !uq || !so || !sig_out) {
        if (!PyErr_Occurred()) PyErr_NoMemory();
        goto done;
    }
    uint32_t *sig = (uint32_t *)PyByteArray_AS_STRING(sig_out);
    uint32_t *out_h = (uint32_t *)PyByteArray_AS_STRING(hs);
    uint8_t *out_u = (uint8_t *)PyByteArray_AS_STRING(uq);
    int64_t *out_o = (int64_t *)PyByteArray_AS_STRING(so);
    const uint32_t low = sample - 1;  /* a power of two divides h when h's low bits are zero */
    const int pow2 = (sample & low) == 0;
    int64_t total = 0;
    out_o[0] = 0;
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t i = 0; i < n; i++) {
        const size_t n_keys = shingle_keys(w, q, kp, off[i], off[i + 1], pm, k, win, wq, keys, tmp, count);
        size_t m = 0;
        uint64_t prev = ~(uint64_t)0;  /* no hash: keys are below 2**33 */
        for (size_t s = 0; s < n_keys; s++) {  /* first of each hash: unquoted if any window is */
            const uint64_t key = keys[s];
            if ((key >> 1) == prev) continue;
            prev = key >> 1;
            const uint32_t h = (uint32_t)prev;
            out_h[total] = h;
            out_u[total] = (uint8_t)((key & 1) == 0);
            total++;
            picked[m] = h;
            m += pow2 ? (h & low) == 0 : h % sample == 0;
        }
        out_o[i + 1] = total;
        minhash_fold(picked, m, pa, pb, np_, sig + i * np_);
    }
    Py_END_ALLOW_THREADS
    if (PyByteArray_Resize(hs, 4 * (Py_ssize_t)total) || PyByteArray_Resize(uq, (Py_ssize_t)total)) goto done;
    result = PyTuple_Pack(4, hs, uq, so, sig_out);
done:
    Py_XDECREF(hs); Py_XDECREF(uq); Py_XDECREF(so); Py_XDECREF(sig_out);
    PyMem_RawFree(win); PyMem_RawFree(keys); PyMem_RawFree(tmp); PyMem_RawFree(picked); PyMem_RawFree(wq);
    PyMem_RawFree(count);
    PyBuffer_Release(&words); PyBuffer_Release(&quoted); PyBuffer_Release(&offsets);
    PyBuffer_Release(&keep); PyBuffer_Release(&mult); PyBuffer_Release(&a); PyBuffer_Release(&b);
    return result;
}

/* ---- keys held more than once --------------------------------------------------------------------- */

/* repeated(keys) -> int64 positions, ascending, of the uint64 keys that occur more than once: an
 * open-addressing table of 2**b >= 2n slots (keys spread by MurmurHash3's finalizer, compared whole), one pass. */
static PyObject *kernel_repeated(PyObject *Py_UNUSED(self), PyObject *arg) {
    Py_buffer keys;
    if (PyObject_GetBuffer(arg, &keys, PyBUF_SIMPLE) < 0) return NULL;
    PyObject *out = NULL;
    int64_t *slot = NULL;
    uint8_t *twice = NULL;
    if (keys.len % 8) {
        PyErr_SetString(PyExc_ValueError, "repeated: bad buffer size");
        goto done;
    }
    const size_t n = (size_t)keys.len / 8;
    const uint64_t *k = (const uint64_t *)keys.buf;
    int bits = 4;
    while (((size_t)1 << bits) < 2 * n) bits++;
    const size_t size = (size_t)1 << bits, mask = size - 1;
    slot = (int64_t *)PyMem_RawMalloc(8 * size);
    twice = (uint8_t *)PyMem_RawCalloc(n + 1, 1);
    if (!slot || !twice) {
        PyErr_NoMemory();
        goto done;
    }
    size_t found = 0;
    Py_BEGIN_ALLOW_THREADS
    memset(slot, 0xFF, 8 * size);  /* -1: empty */
    for (size_t i = 0; i < n; i++) {
        size_t h = (size_t)(fmix64(k[i] ^ 0x2545F4914F6CDD1DULL) & mask);  /* not a multiply alone: callers' keys may share its top bits */
        for (;;) {
            const int64_t at = slot[h];
            if (at < 0) {
                slot[h] = (int64_t)i;
                break;
            }
            if (k[at] == k[i]) {  /* the first holder of this key stays in the table */
                found += !twice[at];
                twice[at] = 1;
                twice[i] = 1;
                found++;
                break;
            }
            h = (h + 1) & mask;
        }
    }
    Py_END_ALLOW_THREADS
    out = PyByteArray_FromStringAndSize(NULL, (Py_ssize_t)(8 * found));
    if (out) {
        int64_t *pos = (int64_t *)PyByteArray_AS_STRING(out);
        size_t m = 0;
        for (size_t i = 0; i < n; i++)
            if (twice[i]) pos[m++] = (int64_t)i;
    }
done:
    PyMem_RawFree(slot);
    PyMem_RawFree(twice);
    PyBuffer_Release(&keys);
    return out;
}

/* sum_by_code(codes, weights) -> (codes, sums): the distinct int64 codes, in the order first seen,
 * and the sum of the int64 weights of each (a hash table, one pass). */
static PyObject *kernel_sum_by_code(PyObject *Py_UNUSED(self), PyObject *args) {
    Py_buffer codes, weights;
    if (!PyArg_ParseTuple(args, "y*y*", &codes, &weights)) return NULL;
    PyObject *result = NULL, *out_c = NULL, *out_w = NULL;
    int64_t *slot = NULL;
    if (codes.len % 8 || weights.len != codes.len) {
        PyErr_SetString(PyExc_ValueError, "sum_by_code: bad buffer sizes");
        goto done;
    }
    const size_t n = (size_t)codes.len / 8;
    const int64_t *c = (const int64_t *)codes.buf, *w = (const int64_t *)weights.buf;
    int bits = 4;
    while (((size_t)1 << bits) < 2 * n) bits++;
    const size_t size = (size_t)1 << bits, mask = size - 1;
    slot = (int64_t *)PyMem_RawMalloc(8 * size);
    out_c = PyByteArray_FromStringAndSize(NULL, (Py_ssize_t)(8 * n));
    out_w = PyByteArray_FromStringAndSize(NULL, (Py_ssize_t)(8 * n));
    if (!slot || !out_c || !out_w) {
        if (!PyErr_Occurred()) PyErr_NoMemory();
        goto done;
    }
    int64_t *uc = (int64_t *)PyByteArray_AS_STRING(out_c), *uw = (int64_t *)PyByteArray_AS_STRING(out_w);
    size_t m = 0;
    Py_BEGIN_ALLOW_THREADS
    memset(slot, 0xFF, 8 * size);  /* -1: empty; else the code's place in the output */
    for (size_t i = 0; i < n; i++) {
        size_t h = (size_t)(fmix64((uint64_t)c[i] ^ 0x2545F4914F6CDD1DULL) & mask);
        for (;;) {
            const int64_t at = slot[h];
            if (at < 0) {
                slot[h] = (int64_t)m;
                uc[m] = c[i];
                uw[m] = w[i];
                m++;
                break;
            }
            if (uc[at] == c[i]) {
                uw[at] += w[i];
                break;
            }
            h = (h + 1) & mask;
        }
    }
    Py_END_ALLOW_THREADS
    if (PyByteArray_Resize(out_c, (Py_ssize_t)(8 * m)) || PyByteArray_Resize(out_w, (Py_ssize_t)(8 * m))) goto done;
    result = PyTuple_Pack(2, out_c, out_w);
done:
    Py_XDECREF(out_c); Py_XDECREF(out_w);
    PyMem_RawFree(slot);
    PyBuffer_Release(&codes); PyBuffer_Release(&weights);
    return result;
}

/* band_keys(signatures, width, select, bands, rows) -> uint64 (bands, len(select)): candidates.band_key
 * of every band for the rows `select` of a uint32 (n, width) signature matrix. */
static PyObject *kernel_band_keys(PyObject *Py_UNUSED(self), PyObject *args) {
    Py_buffer sigs, select;
    Py_ssize_t width, bands, rows;
    if (!PyArg_ParseTuple(args, "y*ny*nn", &sigs, &width, &select, &bands, &rows)) return NULL;
    PyObject *out = NULL;
    const Py_ssize_t m = select.len / 8;
    if (width < 1 || sigs.len % (4 * width) || select.len % 8 || bands < 0 || rows < 1 || bands * rows > width) {
        PyErr_SetString(PyExc_ValueError, "band_keys: bad buffer sizes");
        goto done;
    }
    const Py_ssize_t n = sigs.len / (4 * width);
    const uint32_t *sig = (const uint32_t *)sigs.buf;
    const int64_t *sel = (const int64_t *)select.buf;
    for (Py_ssize_t i = 0; i < m; i++) {
        if (sel[i] < 0 || sel[i] >= n) {
            PyErr_SetString(PyExc_ValueError, "band_keys: a selected row is out of range");
            goto done;
        }
    }
    out = PyByteArray_FromStringAndSize(NULL, 8 * bands * m);
    if (!out) goto done;
    uint64_t *key = (uint64_t *)PyByteArray_AS_STRING(out);
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t i = 0; i < m; i++) {
        const uint32_t *row = sig + sel[i] * width;
        for (Py_ssize_t b = 0; b < bands; b++) {
            uint64_t h = 0;
            for (Py_ssize_t j = 0; j < rows; j++)
                h = fmix64(h * 0x9E3779B97F4A7C15ULL + (uint64_t)row[b * rows + j] + (uint64_t)(j + 1));
            key[b * m + i] = h ^ ((uint64_t)b * 0xD6E8FEB86659FD93ULL);
        }
    }
    Py_END_ALLOW_THREADS
done:
    PyBuffer_Release(&sigs); PyBuffer_Release(&select);
    return out;
}

/* ---- tokens -------------------------------------------------------------------------------------- */

/* A line break as str.splitlines sees one (\r\n counts once, see below). */
static inline int is_linebreak(Py_UCS4 c) {
    if (c < 128) return c == '\n' || c == '\r' || (c >= 0x0b && c <= 0x0c) || (c >= 0x1c && c <= 0x1e);
    return Py_UNICODE_ISLINEBREAK(c);
}

/* The first i >= from where s[i] could be a line break, in 1-byte text: skips 8 bytes at a time
 * while none is below 0x1f or has its top bit set (line breaks are \n \v \f \r \x1c-\x1e, \x85). */
static inline Py_ssize_t skip_plain(const Py_UCS1 *s, Py_ssize_t from, Py_ssize_t n) {
    const uint64_t ones = 0x0101010101010101ULL, high = 0x8080808080808080ULL;
    while (from + 8 <= n) {
        uint64_t x;
        memcpy(&x, s + from, 8);
        if (((x - ones * 0x1f) | x) & high) break;  /* some byte < 0x1f or >= 0x80 */
        from += 8;
    }
    return from;
}

/* Cuts `text` into its stripped non-blank lines (str.splitlines, then str.strip): their spans go
 * to `spans` (start, end pairs). Returns the number of lines, -1 when two non-blank lines touch
 * (the paragraphs then need normalize.paragraph_spans), -2 when out of memory. */
#define SCAN_LINES(T)                                                                           \
    static Py_ssize_t scan_lines_##T(const T *s, Py_ssize_t n, Py_ssize_t **spans, Py_UCS4 *maxc) { \
        Py_ssize_t count = 0, cap = 0, i = 0;                                                   \
        int after_text = 0;                                                                     \
        Py_UCS4 top = *maxc; /* 127 for ASCII text: nothing to look for */                      \
        while (i < n) {                                                                         \
            Py_ssize_t start = i;                                                               \
            for (;;) {                                                                          \
                if (sizeof(T) == 1) i = skip_plain((const Py_UCS1 *)s, i, n);                   \
                if (i >= n || is_linebreak(s[i])) break;                                        \
                i++;                                                                            \
            }                                                                                   \
            Py_ssize_t end = i;                                                                 \
            if (i < n) {                                                                        \
                i++;                                                                            \
                if (s[i - 1] == '\r' && i < n && s[i] == '\n') i++;                             \
            }                                                                                   \
            while (start < end && Py_UNICODE_ISSPACE(s[start])) start++;                        \
            while (end > start && Py_UNICODE_ISSPACE(s[end - 1])) end--;                        \
            if (start == end) {                                                                 \
                after_text = 0;                                                                 \
                continue;                                                                       \
            }                                                                                   \
            if (after_text) return -1;                                                          \
            after_text = 1;                                                                     \
            if (count == cap) {                                                                 \
                cap = cap ? 2 * cap : 64;                                                       \
                Py_ssize_t *grown = (Py_ssize_t *)PyMem_RawRealloc(*spans, 2 * sizeof(Py_ssize_t) * (size_t)cap); \
                if (!grown) return -2;                                                          \
                *spans = grown;                                                                 \
            }                                                                                   \
            (*spans)[2 * count] = start;                                                        \
            (*spans)[2 * count + 1] = end;                                                      \
            count++;                                                                            \
            if (sizeof(T) > 1 || top < 127)                                                     \
                for (Py_ssize_t x = start; x < end; x++) top = s[x] > top ? s[x] : top;         \
        }                                                                                       \
        *maxc = top;                                                                            \
        return count;                                                                           \
    }
SCAN_LINES(Py_UCS1)
SCAN_LINES(Py_UCS2)
SCAN_LINES(Py_UCS4)
#undef SCAN_LINES

/* paragraphs(text) -> str | None: shingle._paragraph_texts when no two non-blank lines touch
 * (else None), joined with NUL, a NUL inside a paragraph made a space. */
static PyObject *kernel_paragraphs(PyObject *Py_UNUSED(self), PyObject *text) {
    if (!PyUnicode_Check(text)) {
        PyErr_SetString(PyExc_TypeError, "paragraphs: text must be str");
        return NULL;
    }
    const Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    const int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t *spans = NULL, count;
    Py_UCS4 maxc = PyUnicode_IS_ASCII(text) ? 127 : 0;
    if (kind == PyUnicode_1BYTE_KIND) count = scan_lines_Py_UCS1((const Py_UCS1 *)data, n, &spans, &maxc);
    else if (kind == PyUnicode_2BYTE_KIND) count = scan_lines_Py_UCS2((const Py_UCS2 *)data, n, &spans, &maxc);
    else count = scan_lines_Py_UCS4((const Py_UCS4 *)data, n, &spans, &maxc);
    if (count < 0) {
        PyMem_RawFree(spans);
        if (count == -2) return PyErr_NoMemory();
        Py_RETURN_NONE;
    }
    Py_ssize_t total = count ? count - 1 : 0;
    for (Py_ssize_t p = 0; p < count; p++) total += spans[2 * p + 1] - spans[2 * p];
    PyObject *out = PyUnicode_New(total, maxc);
    if (!out) {
        PyMem_RawFree(spans);
        return NULL;
    }
    const int has_nul = PyUnicode_FindChar(text, 0, 0, n, 1) >= 0;
    Py_ssize_t at = 0;
    for (Py_ssize_t p = 0; p < count; p++) {
        if (p) PyUnicode_WRITE(PyUnicode_KIND(out), PyUnicode_DATA(out), at++, 0);
        const Py_ssize_t len = spans[2 * p + 1] - spans[2 * p];
        /* copied by hand: PyUnicode_CopyCharacters refuses Latin-1 text into an ASCII string even
         * when the characters copied are ASCII */
        if (PyUnicode_KIND(out) == kind) {
            memcpy((char *)PyUnicode_DATA(out) + (size_t)at * kind,
                   (const char *)data + (size_t)spans[2 * p] * kind, (size_t)len * kind);
        } else {
            for (Py_ssize_t x = 0; x < len; x++)
                PyUnicode_WRITE(PyUnicode_KIND(out), PyUnicode_DATA(out), at + x,
                                PyUnicode_READ(kind, data, spans[2 * p] + x));
        }
        if (has_nul)  /* a NUL inside a paragraph: a space */
            for (Py_ssize_t x = at; x < at + len; x++)
                if (PyUnicode_READ(PyUnicode_KIND(out), PyUnicode_DATA(out), x) == 0)
                    PyUnicode_WRITE(PyUnicode_KIND(out), PyUnicode_DATA(out), x, ' ');
        at += len;
    }
    PyMem_RawFree(spans);
    return out;
}

/* What word_bytes writes for each ASCII character: the table byte, or ' " ' and ' NUL ' for the
 * markers (as 4 bytes in memory order), and how many of them count. */
static uint8_t word_bytes4[128][4], word_len[128];

static void init_word_table(void) {
    for (int c = 0; c < 128; c++) {
        /* shingle._BYTE_TABLE: letters (lower-cased), digits, '_', '"' and NUL kept, others a space */
        uint8_t t = ' ';
        if (c >= 'A' && c <= 'Z') t = (uint8_t)(c + 32);
        else if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || c == '_' || c == '"' || c == 0)
            t = (uint8_t)c;
        if (t == '"' || t == 0) {
            word_bytes4[c][0] = ' '; word_bytes4[c][1] = t; word_bytes4[c][2] = ' '; word_bytes4[c][3] = ' ';
            word_len[c] = 3;
        } else {
            word_bytes4[c][0] = t; word_bytes4[c][1] = word_bytes4[c][2] = word_bytes4[c][3] = ' ';
            word_len[c] = 1;
        }
    }
}

/* What shingle._folded_char makes of each non-ASCII character (bytes objects, filled on first
 * use by calling it): BMP characters in a table, others asked for every time. */
static PyObject **fold_table = NULL;

static PyObject *folded_char(PyObject *fn, Py_UCS4 c) {  /* a new reference, or NULL */
    if (c < 0x10000 && fold_table && fold_table[c]) {
        Py_INCREF(fold_table[c]);
        return fold_table[c];
    }
    PyObject *ch = PyUnicode_FromOrdinal((int)c);
    if (!ch) return NULL;
    PyObject *b = PyObject_CallOneArg(fn, ch);
    Py_DECREF(ch);
    if (!b) return NULL;
    if (!PyBytes_Check(b)) {
        Py_DECREF(b);
        PyErr_SetString(PyExc_TypeError, "word_bytes: fold function must return bytes");
        return NULL;
    }
    if (c < 0x10000) {
        if (!fold_table && !(fold_table = (PyObject **)PyMem_RawCalloc(0x10000, sizeof(PyObject *)))) {
            Py_DECREF(b);
            return PyErr_NoMemory();
        }
        Py_INCREF(b);
        fold_table[c] = b;
    }
    return b;
}

/* Grows *out so that `need` bytes fit after *o (a position in it); returns -1 on error. */
static int out_room(PyObject **out, uint8_t **o, uint8_t **end, Py_ssize_t need) {
    if (*end - *o >= need) return 0;
    Py_ssize_t used = *o - (uint8_t *)PyBytes_AS_STRING(*out), size = PyBytes_GET_SIZE(*out);
    Py_ssize_t grown = 2 * size > used + need ? 2 * size : used + need;
    if (_PyBytes_Resize(out, grown) < 0) return -1;
    *o = (uint8_t *)PyBytes_AS_STRING(*out) + used;
    *end = (uint8_t *)PyBytes_AS_STRING(*out) + grown;
    return 0;
}

/* One ASCII character's bytes: its word_table byte, or ' " ' / ' NUL ' for the two markers.
 * Branch-free: 4 bytes are stored (room for one more byte than used is kept). */
#define PUT_ASCII(o, c)                          \
    do {                                         \
        memcpy((o), &word_bytes4[c], 4);         \
        (o) += word_len[c];                      \
    } while (0)

/* Character c folded (fn's bytes for it) written at *op, making room for its bytes and `after`
 * more first; -1 on error. */
static int put_folded(PyObject *fn, Py_UCS4 c, PyObject **out, uint8_t **op, uint8_t **endp, Py_ssize_t after) {
    PyObject *b = folded_char(fn, c);
    if (!b) return -1;
    const uint8_t *f = (const uint8_t *)PyBytes_AS_STRING(b);
    const Py_ssize_t len = PyBytes_GET_SIZE(b);
    if (out_room(out, op, endp, 3 * len + after) < 0) {
        Py_DECREF(b);
        return -1;
    }
    uint8_t *o = *op;
    for (Py_ssize_t j = 0; j < len; j++) {
        if (f[j] < 128) PUT_ASCII(o, f[j]);
        else *o++ = f[j];
    }
    *op = o;
    Py_DECREF(b);
    return 0;
}

/* The tokens of s[0..n) into *out, which has room for 3 bytes per character from *o on (what an
 * ASCII character takes at most), and one more; a non-ASCII one makes room for its folded
 * bytes. Returns -1 on error. */
#define WORD_BYTES(T)                                                                           \
    static int word_bytes_##T(const T *s, Py_ssize_t n, PyObject **out, uint8_t **op, PyObject *fn) { \
        uint8_t *o = *op, *end = (uint8_t *)PyBytes_AS_STRING(*out) + PyBytes_GET_SIZE(*out);   \
        for (Py_ssize_t i = 0; i < n; i++) {                                                    \
            const Py_UCS4 c = s[i];                                                             \
            if (c < 128) {                                                                      \
                PUT_ASCII(o, c);                                                                \
                continue;                                                                       \
            }                                                                                   \
            if (put_folded(fn, c, out, &o, &end, 3 * (n - i - 1) + 1) < 0) return -1;           \
        }                                                                                       \
        *op = o;                                                                                \
        return 0;                                                                               \
    }
WORD_BYTES(Py_UCS1)
WORD_BYTES(Py_UCS2)
WORD_BYTES(Py_UCS4)
#undef WORD_BYTES

/* Which BMP characters NFKC leaves alone wherever they stand (see normalize._nfkc_stable): 0 not
 * known yet, 1 stable, 2 not; filled on first use by asking `stable`. */
static uint8_t *nfkc_stable_table = NULL;

/* 1 when c is NFKC-stable, 0 when not (or outside the BMP), -1 on error. */
static int nfkc_stable(PyObject *stable, Py_UCS4 c) {
    if (c >= 0x10000) return 0;
    if (!nfkc_stable_table && !(nfkc_stable_table = (uint8_t *)PyMem_RawCalloc(0x10000, 1))) {
        PyErr_NoMemory();
        return -1;
    }
    if (!nfkc_stable_table[c]) {
        PyObject *ch = PyUnicode_FromOrdinal((int)c);
        if (!ch) return -1;
        PyObject *got = PyObject_CallOneArg(stable, ch);
        Py_DECREF(ch);
        if (!got) return -1;
        const int yes = PyObject_IsTrue(got);
        Py_DECREF(got);
        if (yes < 0) return -1;
        nfkc_stable_table[c] = yes ? 1 : 2;
    }
    return nfkc_stable_table[c] == 1;
}

/* The tokens of the paragraph s[from..to) of a text of n characters into *out as word_bytes
 * makes them, a NUL made a space
 * (as shingle._joined_paragraphs does); 1 when done, 0 when a character NFKC could change is met
 * (the caller then normalizes in Python), -1 on error. */
#define SPAN_BYTES(T)                                                                           \
    static int span_bytes_##T(const T *s, Py_ssize_t from, Py_ssize_t to, Py_ssize_t n, PyObject **out, \
                              uint8_t **op, uint8_t **endp, PyObject *fn, PyObject *stable) {   \
        uint8_t *o = *op, *end = *endp;                                                         \
        for (Py_ssize_t i = from; i < to; i++) {                                                \
            const Py_UCS4 c = s[i];                                                             \
            if (c < 128) {                                                                      \
                PUT_ASCII(o, c ? c : ' ');                                                      \
                continue;                                                                       \
            }                                                                                   \
            const int ok = nfkc_stable(stable, c);                                              \
            if (ok <= 0) return ok;                                                             \
            /* room for its bytes and 3 for each character after it in the text (breaks too) */ \
            if (put_folded(fn, c, out, &o, &end, 3 * (n - i - 1) + 4) < 0) return -1;           \
        }                                                                                       \
        *op = o;                                                                                \
        *endp = end;                                                                            \
        return 1;                                                                               \
    }
SPAN_BYTES(Py_UCS1)
SPAN_BYTES(Py_UCS2)
SPAN_BYTES(Py_UCS4)
#undef SPAN_BYTES

/* token_bytes(text, fold, stable) -> bytes | None: normalize.token_bytes in one pass where it can:
 * the text's stripped non-blank lines (as paragraphs cuts them) mapped to tokens straight away,
 * with a BREAK between them. None when two non-blank lines touch (normalize.paragraph_spans
 * decides then) or a character is not NFKC-stable (`stable(char)` says, once per character):
 * the caller then takes the long way (paragraphs, NFKC, word_bytes). */
static PyObject *kernel_token_bytes(PyObject *Py_UNUSED(self), PyObject *args) {
    PyObject *text, *fn, *stable;
    if (!PyArg_ParseTuple(args, "UOO", &text, &fn, &stable)) return NULL;
    const Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    const int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t *spans = NULL, count;
    Py_UCS4 maxc = 127;  /* no need for the widest character */
    if (kind == PyUnicode_1BYTE_KIND) count = scan_lines_Py_UCS1((const Py_UCS1 *)data, n, &spans, &maxc);
    else if (kind == PyUnicode_2BYTE_KIND) count = scan_lines_Py_UCS2((const Py_UCS2 *)data, n, &spans, &maxc);
    else count = scan_lines_Py_UCS4((const Py_UCS4 *)data, n, &spans, &maxc);
    if (count < 0) {
        PyMem_RawFree(spans);
        if (count == -2) return PyErr_NoMemory();
        Py_RETURN_NONE;
    }
    if (n > PY_SSIZE_T_MAX / 3 - 4) {
        PyMem_RawFree(spans);
        return PyErr_NoMemory();
    }
    PyObject *out = PyBytes_FromStringAndSize(NULL, 3 * n + 4);
    if (!out) {
        PyMem_RawFree(spans);
        return NULL;
    }
    uint8_t *o = (uint8_t *)PyBytes_AS_STRING(out), *end = o + 3 * n + 4;
    int done = 1;
    for (Py_ssize_t p = 0; p < count && done == 1; p++) {
        if (p) PUT_ASCII(o, 0);  /* BREAK between paragraphs */
        const Py_ssize_t from = spans[2 * p], to = spans[2 * p + 1];
        if (kind == PyUnicode_1BYTE_KIND)
            done = span_bytes_Py_UCS1((const Py_UCS1 *)data, from, to, n, &out, &o, &end, fn, stable);
        else if (kind == PyUnicode_2BYTE_KIND)
            done = span_bytes_Py_UCS2((const Py_UCS2 *)data, from, to, n, &out, &o, &end, fn, stable);
        else
            done = span_bytes_Py_UCS4((const Py_UCS4 *)data, from, to, n, &out, &o, &end, fn, stable);
    }
    PyMem_RawFree(spans);
    if (done <= 0) {
        Py_DECREF(out);
        if (done < 0) return NULL;
        Py_RETURN_NONE;
    }
    if (_PyBytes_Resize(&out, o - (uint8_t *)PyBytes_AS_STRING(out)) < 0) return NULL;
    return out;
}

/* word_bytes(text, fold) -> bytes: the tokens of joined NFKC paragraphs, as shingle._token_bytes
 * makes them: ASCII through the word table ('"' and NUL tokens of their own), each other
 * character as fold(char) makes it (shingle._folded_char), then through the table. */
static PyObject *kernel_word_bytes(PyObject *Py_UNUSED(self), PyObject *args) {
    PyObject *text, *fn;
    if (!PyArg_ParseTuple(args, "UO", &text, &fn)) return NULL;
    const Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    const int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    if (n > PY_SSIZE_T_MAX / 3) return PyErr_NoMemory();
    PyObject *out = PyBytes_FromStringAndSize(NULL, 3 * n + 1);
    if (!out) return NULL;
    uint8_t *o = (uint8_t *)PyBytes_AS_STRING(out);
    int err;
    if (kind == PyUnicode_1BYTE_KIND) err = word_bytes_Py_UCS1((const Py_UCS1 *)data, n, &out, &o, fn);
    else if (kind == PyUnicode_2BYTE_KIND) err = word_bytes_Py_UCS2((const Py_UCS2 *)data, n, &out, &o, fn);
    else err = word_bytes_Py_UCS4((const Py_UCS4 *)data, n, &out, &o, fn);
    if (err < 0) {
        Py_XDECREF(out);
        return NULL;
    }
    if (_PyBytes_Resize(&out, o - (uint8_t *)PyBytes_AS_STRING(out)) < 0) return NULL;
    return out;
}

/* _space_bits(data, avx2) -> bytes: the whitespace bits of data (little-endian uint64 words), by
 * the AVX2 path or the plain one, so that a test can check both on any machine with AVX2. */
static PyObject *kernel_space_bits(PyObject *Py_UNUSED(self), PyObject *args) {
    Py_buffer data;
    int avx2;
    if (!PyArg_ParseTuple(args, "y*p", &data, &avx2)) return NULL;
    const size_t n = (size_t)data.len, words = n / 64 + 1;
    PyObject *out = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)(8 * words));
    if (out) {
        uint64_t *bits = (uint64_t *)PyBytes_AS_STRING(out);
        memset(bits, 0, 8 * words);
#ifdef HAVE_AVX2
        if (avx2 && cpu_avx2()) space_bits_avx2((const uint8_t *)data.buf, n, bits);
        else
#endif
            space_bits_plain((const uint8_t *)data.buf, n, bits);
    }
    PyBuffer_Release(&data);
    return out;
}

/* has_surrogates(text) -> bool: whether a str holds a lone surrogate (U+D800 to U+DFFF), which no
 * text of only 1-byte characters can; read._has_surrogates without encoding the text. */
static PyObject *kernel_has_surrogates(PyObject *Py_UNUSED(self), PyObject *text) {
    if (!PyUnicode_Check(text)) {
        PyErr_SetString(PyExc_TypeError, "has_surrogates: text must be str");
        return NULL;
    }
    const Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    const int kind = PyUnicode_KIND(text);
    unsigned found = 0;
    if (kind == PyUnicode_2BYTE_KIND) {
        const Py_UCS2 *u = PyUnicode_2BYTE_DATA(text);
        for (Py_ssize_t i = 0; i < n; i++) found |= (u[i] & 0xF800) == 0xD800;
    } else if (kind == PyUnicode_4BYTE_KIND) {
        const Py_UCS4 *u = PyUnicode_4BYTE_DATA(text);
        for (Py_ssize_t i = 0; i < n; i++) found |= (u[i] & 0xFFFFF800) == 0xD800;
    }
    return PyBool_FromLong((long)found);
}

/* ---- fold_confusables: the noisy view's OCR folding (normalize.fold_confusables) ------------ */

/* Per byte: its letter once digits are read as letters (1/l, 0/o, 5/s) folded to its class (i/l,
 * c/e, u/n, b/h, v/y, f/t, q/g, a/o); and, as bit sets over the six confusable pairs (rn, ri, cl,
 * vv, ii, li, in that bit order), the pairs it can begin and the pairs it can end. */
static unsigned char conf_single[256], conf_first[256], conf_second[256];
static const unsigned char conf_pair_letter[6] = {'m', 'n', 'd', 'w', 'n', 'h'};

static void confusable_tables(void) {
    static int built = 0;
    if (built) return;
    static const char from[] = "icubvfqa", to[] = "lenhytgo";
    static const char pairs[6][2] = {{'r', 'n'}, {'r', 'i'}, {'c', 'l'}, {'v', 'v'}, {'i', 'i'}, {'l', 'i'}};
    for (int c = 0; c < 256; c++) {
        unsigned char d = c == '1' ? 'l' : c == '0' ? 'o' : c == '5' ? 's' : (unsigned char)c;
        unsigned char f = d;
        for (int k = 0; from[k]; k++)
            if (d == (unsigned char)from[k]) f = (unsigned char)to[k];
        conf_single[c] = f;
        conf_first[c] = conf_second[c] = 0;
        for (int p = 0; p < 6; p++) {
            if (d == (unsigned char)pairs[p][0]) conf_first[c] |= (unsigned char)(1 << p);
            if (d == (unsigned char)pairs[p][1]) conf_second[c] |= (unsigned char)(1 << p);
        }
    }
    built = 1;
}

/* s[0..n) folded into o (at most n bytes), in one pass from left to right over digit-folded
 * bytes: a confusable pair becomes its letter, any other byte its folded letter (bytes >= 0x80,
 * markers and spaces stay as they are). A pair never spans whitespace, so folding each token
 * alone is folding the whole. Returns the length written. */
static inline __attribute__((always_inline)) size_t fold_bytes(const uint8_t *s, size_t n, uint8_t *o) {
    size_t i = 0, j = 0;
    while (i + 1 < n) {
        const unsigned pair = conf_first[s[i]] & conf_second[s[i + 1]];
        if (__builtin_expect(pair != 0, 0)) {
            o[j++] = conf_pair_letter[__builtin_ctz(pair)];
            i += 2;
        } else {
            o[j++] = conf_single[s[i++]];
        }
    }
    if (i < n) o[j++] = conf_single[s[i]];
    return j;
}

/* A cache of words of at most 15 bytes and their hashes in both views (direct-mapped, per
 * process, filled under one pair of keys): text repeats its words, and a lookup costs a fraction
 * of two SipHashes and a fold. An entry is the word's bytes, zero-padded, with its length in the
 * top byte of `hi` (so an empty entry matches no word), and its two hashes: 32 bytes. */
typedef struct {
    uint64_t lo, hi, exact, noisy;
} word_entry;
#define WORD_CACHE_BITS 14
#define WORD_CACHE_LONGEST 15
static word_entry *word_cache = NULL;
static uint64_t word_cache_keys[4];

static inline word_entry *word_slot(uint64_t lo, uint64_t hi) {
    const uint64_t h = ((lo * 0x9E3779B97F4A7C15ULL) ^ (hi * 0xC2B2AE3D27D4EB4FULL)) * 0xFF51AFD7ED558CCDULL;
    return &word_cache[h >> (64 - WORD_CACHE_BITS)];
}

/* The hashes of the words s[start[t] .. start[t] + len[t]) in the exact view (SipHash-2-4 under
 * keys[0..1], then pandas' finalizer, as hash_words) and in the noisy view (the word folded by
 * fold_bytes, hashed under keys[2..3]), little-endian into exact[8t ..] and noisy[8t ..]. Folding
 * never joins or splits tokens, so the noisy view's words are the exact view's, folded one by one.
 * `scratch` holds the longest word. Two passes: the first reads each short word into its cache
 * key (kept in the outputs meanwhile) and prefetches its entry, the second looks it up. */
static void hash_word_pairs(const uint8_t *s, Py_ssize_t size, const int64_t *start, const int32_t *len,
                            size_t count, const uint64_t keys[4], uint8_t *exact, uint8_t *noisy, uint8_t *scratch) {
    if (word_cache && memcmp(word_cache_keys, keys, sizeof word_cache_keys) != 0)
        memset(word_cache, 0, sizeof(word_entry) << WORD_CACHE_BITS);
    if (!word_cache) word_cache = (word_entry *)PyMem_RawCalloc((size_t)1 << WORD_CACHE_BITS, sizeof(word_entry));
    memcpy(word_cache_keys, keys, sizeof word_cache_keys);
    uint64_t *key_lo = (uint64_t *)exact, *key_hi = (uint64_t *)noisy;  /* 8-byte aligned buffers */
    for (size_t t = 0; t < count; t++) {
        const uint8_t *p = s + start[t];
        const size_t n = (size_t)len[t];
        uint64_t lo = 0, hi = 0;  /* hi == 0: not cached */
        if (n <= WORD_CACHE_LONGEST && word_cache) {
            if (start[t] + 16 <= size) {
                lo = load64(p);
                hi = load64(p + 8);
                if (n < 8) {
                    lo &= (1ULL << (8 * n)) - 1;
                    hi = 0;
                } else {
                    hi &= (1ULL << (8 * (n - 8))) - 1;
                }
            } else {
                for (size_t j = 0; j < n; j++) {
                    if (j < 8) lo |= ((uint64_t)p[j]) << (8 * j);
                    else hi |= ((uint64_t)p[j]) << (8 * (j - 8));
                }
            }
            hi |= (uint64_t)n << 56;
            __builtin_prefetch(word_slot(lo, hi));
        }
        key_lo[t] = lo;
        key_hi[t] = hi;
    }
    for (size_t t = 0; t < count; t++) {
        const uint8_t *p = s + start[t];
        const size_t n = (size_t)len[t];
        const uint64_t lo = key_lo[t], hi = key_hi[t];
        if (!hi) {
            store64(exact + 8 * t, splitmix_final(siphash24(p, n, keys[0], keys[1])));
            const size_t m = fold_bytes(p, n, scratch);
            store64(noisy + 8 * t, splitmix_final(siphash24(scratch, m, keys[2], keys[3])));
            continue;
        }
        word_entry *e = word_slot(lo, hi);
        if (e->lo != lo || e->hi != hi) {
            e->lo = lo;
            e->hi = hi;
            e->exact = splitmix_final(siphash24(p, n, keys[0], keys[1]));
            const size_t m = fold_bytes(p, n, scratch);
            e->noisy = splitmix_final(siphash24(scratch, m, keys[2], keys[3]));
        }
        store64(exact + 8 * t, e->exact);
        store64(noisy + 8 * t, e->noisy);
    }
}

static PyObject *kernel_fold_confusables(PyObject *Py_UNUSED(self), PyObject *arg) {
    Py_buffer in;
    if (PyObject_GetBuffer(arg, &in, PyBUF_SIMPLE)) return NULL;
    confusable_tables();
    PyObject *out = PyBytes_FromStringAndSize(NULL, in.len);
    if (!out) {
        PyBuffer_Release(&in);
        return NULL;
    }
    const size_t j = fold_bytes((const uint8_t *)in.buf, (size_t)in.len, (uint8_t *)PyBytes_AS_STRING(out));
    const Py_ssize_t n = in.len;
    PyBuffer_Release(&in);
    if ((Py_ssize_t)j != n && _PyBytes_Resize(&out, (Py_ssize_t)j) < 0) return NULL;
    return out;
}

/* ---- analyze_views: both views of a batch in one call (shingle.analyze_views) ---------------- */

/* The noisy view of the article just analysed into `exact` with its noisy hashes (its `words`
 * words in `paras` paragraphs; the hashes in sc->nh): the exact view's quotation flags and
 * paragraphs, since folding keeps every token; no digests. -1 when out of memory. */
static int mirror(view_t *v, const view_t *exact, const scratch_t *sc, size_t words, int64_t paras) {
    if (view_reserve(v, words + 1)) return -1;
    buf_put(&v->wh, sc->nh.data, 8 * words);
    buf_put(&v->wq, exact->wq.data + exact->wq.len - words, words);
    memset(v->ph.data + v->ph.len, 0, 8 * (size_t)paras);
    v->ph.len += 8 * (size_t)paras;
    buf_put(&v->pw, exact->pw.data + exact->pw.len - 4 * (size_t)paras, 4 * (size_t)paras);
    v->n_words += (int64_t)words;
    v->n_paras += paras;
    const uint8_t d12[12] = {0};
    buf_put(&v->fp, d12, 12);
    buf_put(&v->wo, &v->n_words, 8);
    buf_put(&v->po, &v->n_paras, 8);
    return 0;
}

static PyObject *kernel_analyze_views(PyObject *Py_UNUSED(self), PyObject *args) {
    PyObject *texts, *rejoined;
    Py_buffer key, noisy_key;
    if (!PyArg_ParseTuple(args, "O!O!y*y*", &PyList_Type, &texts, &PyList_Type, &rejoined, &key, &noisy_key))
        return NULL;
    uint64_t k0, k1, n0, n1;
    const int bad_key = siphash_key(&key, &k0, &k1) || siphash_key(&noisy_key, &n0, &n1);
    PyBuffer_Release(&key);
    PyBuffer_Release(&noisy_key);
    if (bad_key) return NULL;
    const uint64_t keys[4] = {k0, k1, n0, n1};
    const Py_ssize_t n = PyList_GET_SIZE(texts);
    if (PyList_GET_SIZE(rejoined) != n) {
        PyErr_SetString(PyExc_ValueError, "analyze_views: one rejoined entry per text");
        return NULL;
    }
    confusable_tables();
    view_t exact = {0}, noisy = {0};
    scratch_t sc = {0};
    PyObject *result = NULL;
    size_t tokens = 0, noisy_tokens = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *item = PyList_GET_ITEM(texts, i), *other = PyList_GET_ITEM(rejoined, i);
        if (!PyBytes_Check(item) || (other != Py_None && !PyBytes_Check(other))) {
            PyErr_Format(PyExc_TypeError, "item %zd is not bytes", i);
            goto done;
        }
        tokens += most_tokens(PyBytes_GET_SIZE(item));
        noisy_tokens += most_tokens(PyBytes_GET_SIZE(other == Py_None ? item : other));
    }
    if (view_start(&exact, n, tokens) || view_start(&noisy, n, noisy_tokens)) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *item = PyList_GET_ITEM(texts, i), *other = PyList_GET_ITEM(rejoined, i);
        const int64_t paras_before = exact.n_paras;
        const Py_ssize_t words = analyze_one(&exact, &sc, (const uint8_t *)PyBytes_AS_STRING(item),
                                             PyBytes_GET_SIZE(item), k0, k1, other == Py_None ? keys : NULL);
        if (words < 0 || (other == Py_None && mirror(&noisy, &exact, &sc, (size_t)words,
                                                     exact.n_paras - paras_before) < 0)) {
            PyErr_NoMemory();
            goto done;
        }
        if (other == Py_None) continue;
        /* the de-hyphenated text's tokens: folded, then cut and hashed like any article's */
        const Py_ssize_t olen = PyBytes_GET_SIZE(other);
        if (buf_reserve(&sc.fb, (size_t)olen + 1)) {
            PyErr_NoMemory();
            goto done;
        }
        const size_t flen = fold_bytes((const uint8_t *)PyBytes_AS_STRING(other), (size_t)olen, sc.fb.data);
        if (analyze_one(&noisy, &sc, sc.fb.data, (Py_ssize_t)flen, n0, n1, NULL) < 0) {
            PyErr_NoMemory();
            goto done;
        }
    }
    if (view_digests(&exact, n) < 0) {
        PyErr_NoMemory();
        goto done;
    }
    result = Py_BuildValue("(NN)", view_result(&exact), view_result(&noisy));
done:
    view_free(&exact);
    view_free(&noisy);
    scratch_free(&sc);
    return result;
}

/* ---- pairs: shared shingles and shared passages (verify.overlap_many, verify.passage_words_many) -- */

/* Checks that every a[p] and b[p] is an article of `n`; -1 (with a ValueError) if not. */
static int check_pairs(const int64_t *a, const int64_t *b, Py_ssize_t m, Py_ssize_t n, const char *who) {
    for (Py_ssize_t p = 0; p < m; p++) {
        if (a[p] < 0 || a[p] >= n || b[p] < 0 || b[p] >= n) {
            PyErr_Format(PyExc_ValueError, "%s: pair %zd names an article out of range", who, p);
            return -1;
        }
    }
    return 0;
}

/* The 4-by-4 block step of a merge of two sorted distinct uint32 runs (SSE2, as Lemire's and
 * Schlegel's set intersections): every hash of a[0..3] compared with every one of b[0..3] at once.
 * Adds the matches to *count and, with `ua` (unquoted flags of the hashes at a; `ub`: at b), the matches
 * unquoted on either side to *count_u; the caller then moves past the block(s) whose last hash is
 * the smaller (both when equal): no match is ever counted twice or missed. */
#if defined(__SSE2__)
#include <emmintrin.h>
#define HAVE_BLOCK_MERGE 1
static inline void block_merge(const uint32_t *a, const uint32_t *b, const uint8_t *ua, const uint8_t *ub,
                               int64_t *count, int64_t *count_u) {
    const __m128i va = _mm_loadu_si128((const __m128i *)a), vb = _mm_loadu_si128((const __m128i *)b);
    const int m0 = _mm_movemask_ps(_mm_castsi128_ps(_mm_cmpeq_epi32(va, vb)));
    const int m1 = _mm_movemask_ps(_mm_castsi128_ps(_mm_cmpeq_epi32(va, _mm_shuffle_epi32(vb, _MM_SHUFFLE(0, 3, 2, 1)))));
    const int m2 = _mm_movemask_ps(_mm_castsi128_ps(_mm_cmpeq_epi32(va, _mm_shuffle_epi32(vb, _MM_SHUFFLE(1, 0, 3, 2)))));
    const int m3 = _mm_movemask_ps(_mm_castsi128_ps(_mm_cmpeq_epi32(va, _mm_shuffle_epi32(vb, _MM_SHUFFLE(2, 1, 0, 3)))));
    const int any = m0 | m1 | m2 | m3;
    if (!any) return;
    *count += __builtin_popcount((unsigned)any);
    if (!ua) return;
    const int masks[4] = {m0, m1, m2, m3};
    for (int r = 0; r < 4; r++) {  /* lane p of rotation r compared a[p] with b[(p + r) % 4] */
        for (int m = masks[r]; m; m &= m - 1) {
            const int lane = __builtin_ctz((unsigned)m);
            *count_u += ua[lane] | ub[(lane + r) & 3];
        }
    }
}
#endif

/* overlap(hashes, unquoted, offsets, a, b, count_unquoted) -> (shared, shared_unquoted): for every
 * pair p, how many hashes the sorted distinct sets a[p] and b[p] share, and how many of those are
 * unquoted on either side (left at 0 unless count_unquoted). A merge of the two sorted sets. */
static PyObject *kernel_overlap(PyObject *Py_UNUSED(self), PyObject *args) {
    Py_buffer hashes, unquoted, offsets, pa, pb;
    int count_unquoted;
    if (!PyArg_ParseTuple(args, "y*y*y*y*y*p", &hashes, &unquoted, &offsets, &pa, &pb, &count_unquoted)) return NULL;
    PyObject *shared_out = NULL, *unquoted_out = NULL, *result = NULL;
    const Py_ssize_t n_values = hashes.len / 4, n = offsets.len / 8 - 1, m = pa.len / 8;
    if (hashes.len % 4 || unquoted.len != n_values || offsets.len % 8 || n < 0 || pa.len % 8 || pb.len != pa.len) {
        PyErr_SetString(PyExc_ValueError, "overlap: bad buffer sizes");
        goto done;
    }
    const uint32_t *h = (const uint32_t *)hashes.buf;
    const uint8_t *u = (const uint8_t *)unquoted.buf;
    const int64_t *off = (const int64_t *)offsets.buf, *a = (const int64_t *)pa.buf, *b = (const int64_t *)pb.buf;
    if (check_offsets(off, n, n_values, "overlap") < 0 || check_pairs(a, b, m, n, "overlap") < 0) goto done;
    shared_out = PyByteArray_FromStringAndSize(NULL, 8 * m);
    unquoted_out = PyByteArray_FromStringAndSize(NULL, 8 * m);
    if (!shared_out || !unquoted_out) goto done;
    int64_t *shared = (int64_t *)PyByteArray_AS_STRING(shared_out), *both = (int64_t *)PyByteArray_AS_STRING(unquoted_out);
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t p = 0; p < m; p++) {
        int64_t i = off[a[p]], j = off[b[p]];
        const int64_t ie = off[a[p] + 1], je = off[b[p] + 1];
        int64_t count = 0, count_u = 0;
        if ((ie - i) * 16 < je - j || (je - j) * 16 < ie - i) {  /* one much smaller: search its hashes */
            const int small_a = ie - i < je - j;
            int64_t s = small_a ? i : j, lo = small_a ? j : i;
            const int64_t se = small_a ? ie : je, hi = small_a ? je : ie;
            for (; s < se; s++) {
                int64_t l = lo, r = hi;  /* the first position in [lo, hi) holding h[s] or more */
                while (l < r) {
                    const int64_t mid = l + (r - l) / 2;
                    if (h[mid] < h[s]) l = mid + 1; else r = mid;
                }
                lo = l;
                if (lo < hi && h[lo] == h[s]) {
                    count++;
                    count_u += u[s] | u[lo];
                }
            }
            i = ie;  /* done: skip the merge */
        }
#ifdef HAVE_BLOCK_MERGE
        while (i + 4 <= ie && j + 4 <= je) {
            block_merge(h + i, h + j, count_unquoted ? u + i : NULL, u + j, &count, &count_u);
            const uint32_t x = h[i + 3], y = h[j + 3];
            i += x <= y ? 4 : 0;
            j += y <= x ? 4 : 0;
        }
#endif
        while (i < ie && j < je) {
            const uint32_t x = h[i], y = h[j];
            if (x == y) {
                count++;
                count_u += u[i] | u[j];
            }
            i += x <= y;
            j += y <= x;
        }
        shared[p] = count;
        both[p] = count_unquoted ? count_u : 0;
    }
    Py_END_ALLOW_THREADS
    result = Py_BuildValue("(OO)", shared_out, unquoted_out);
done:
    Py_XDECREF(shared_out); Py_XDECREF(unquoted_out);
    PyBuffer_Release(&hashes); PyBuffer_Release(&unquoted); PyBuffer_Release(&offsets);
    PyBuffer_Release(&pa); PyBuffer_Release(&pb);
    return result;
}

/* overlap_reaching(hashes, offsets, a, b, need) -> shared: for every pair p, how many hashes the
 * sorted distinct sets a[p] and b[p] share when that is need[p] or more, else 0: a merge that stops
 * as soon as the hashes left on the shorter side cannot make up the difference (a pair that
 * cannot pass a containment test costs about half a merge). */
static PyObject *kernel_overlap_reaching(PyObject *Py_UNUSED(self), PyObject *args) {
    Py_buffer hashes, offsets, pa, pb, pneed;
    if (!PyArg_ParseTuple(args, "y*y*y*y*y*", &hashes, &offsets, &pa, &pb, &pneed)) return NULL;
    PyObject *shared_out = NULL;
    const Py_ssize_t n_values = hashes.len / 4, n = offsets.len / 8 - 1, m = pa.len / 8;
    if (hashes.len % 4 || offsets.len % 8 || n < 0 || pa.len % 8 || pb.len != pa.len || pneed.len != pa.len) {
        PyErr_SetString(PyExc_ValueError, "overlap_reaching: bad buffer sizes");
        goto done;
    }
    const uint32_t *h = (const uint32_t *)hashes.buf;
    const int64_t *off = (const int64_t *)offsets.buf, *a = (const int64_t *)pa.buf, *b = (const int64_t *)pb.buf;
    const int64_t *need = (const int64_t *)pneed.buf;
    if (check_offsets(off, n, n_values, "overlap_reaching") < 0 || check_pairs(a, b, m, n, "overlap_reaching") < 0)
        goto done;
    shared_out = PyByteArray_FromStringAndSize(NULL, 8 * m);
    if (!shared_out) goto done;
    int64_t *shared = (int64_t *)PyByteArray_AS_STRING(shared_out);
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t p = 0; p < m; p++) {
        int64_t i = off[a[p]], j = off[b[p]];
        const int64_t ie = off[a[p] + 1], je = off[b[p] + 1], want = need[p];
        int64_t count = 0;
        for (;;) {
            /* check every 64 steps: the hashes left on the shorter side bound what can still be shared */
            const int64_t left = ie - i < je - j ? ie - i : je - j;
            if (left == 0 || count + left < want) break;
#ifdef HAVE_BLOCK_MERGE
            if (i + 64 <= ie && j + 64 <= je) {  /* blocks of 4 by 4, at most 64 hashes of each side */
                int64_t none = 0;  /* no unquoted counts here */
                for (int s = 0; s < 16; s++) {
                    block_merge(h + i, h + j, NULL, NULL, &count, &none);
                    const uint32_t x = h[i + 3], y = h[j + 3];
                    i += x <= y ? 4 : 0;
                    j += y <= x ? 4 : 0;
                }
                continue;
            }
#endif
            for (int s = 0; s < 64 && i < ie && j < je; s++) {
                const uint32_t x = h[i], y = h[j];
                count += x == y;
                i += x <= y;
                j += y <= x;
            }
        }
        shared[p] = count >= want ? count : 0;
    }
    Py_END_ALLOW_THREADS
done:
    PyBuffer_Release(&hashes); PyBuffer_Release(&offsets); PyBuffer_Release(&pa); PyBuffer_Release(&pb);
    PyBuffer_Release(&pneed);
    return shared_out;
}

/* sequences(word_hashes, word_quoted, word_offsets, para_words, drop, multipliers, k, prose_words)
 *   -> (hashes, before, inside, offsets, quoted_before, quoted_inside): verify.sequences_many, every
 * article's k-word shingles in text order once the paragraphs marked in `drop` are cut out, with the
 * counted words (unquoted, in a paragraph of prose_words or more) before each shingle (counted from
 * the batch's start) and inside it, and the same with quoted words counted too. An article of fewer
 * than k kept words has none. */
/* -1 with ValueError unless the paragraphs' word counts `pw` (none negative) cover exactly the n_words
   words of the n articles at offsets `off`. */
static int check_paragraphs(const int32_t *pw, Py_ssize_t n_paras, const int64_t *off, Py_ssize_t n,
                            Py_ssize_t n_words, const char *name) {
    int64_t in_paras = 0;
    int negative = 0;
    for (Py_ssize_t p = 0; p < n_paras; p++) {
        negative |= pw[p] < 0;
        in_paras += pw[p];
    }
    if (negative || in_paras != n_words || off[0] != 0 || off[n] != n_words) {
        PyErr_Format(PyExc_ValueError, "%s: paragraphs do not cover the words", name);
        return -1;
    }
    return 0;
}

/* The words of n articles (offsets `off`) that the paragraphs marked in `dr` leave out removed, each
   article's starting where the one before ends (at starts[i]; starts[n] is the total), with before each
   kept word the number of kept words a passage counts (unquoted, in a paragraph of `prose` words or
   more) and of those in such paragraphs, quoted too: what `sequences` and `word_passages` read. */
static Py_ssize_t keep_words(Py_ssize_t n, const int64_t *off, const int32_t *pw, const uint8_t *dr, const uint8_t *q,
                             const uint64_t *w, Py_ssize_t prose, uint64_t *kept, int64_t *counted, int64_t *whole,
                             int64_t *starts) {
    Py_ssize_t p = 0, left = 0, m = 0;
    int64_t total = 0, total_whole = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        starts[i] = m;
        for (int64_t x = off[i]; x < off[i + 1]; x++) {
            while (left == 0) left = pw[p++];  /* the paragraph word x is in: p - 1 */
            left--;
            if (dr[p - 1]) continue;
            kept[m] = w[x];
            counted[m] = total;
            whole[m] = total_whole;
            total += !q[x] && pw[p - 1] >= prose;
            total_whole += pw[p - 1] >= prose;
            m++;
        }
    }
    starts[n] = m;
    counted[m] = total;
    whole[m] = total_whole;
    return m;
}

static PyObject *kernel_sequences(PyObject *Py_UNUSED(self), PyObject *args) {
    Py_buffer words, quoted, offsets, paras, drop, mult;
    int k;
    Py_ssize_t prose;
    if (!PyArg_ParseTuple(args, "y*y*y*y*y*y*in", &words, &quoted, &offsets, &paras, &drop, &mult, &k, &prose))
        return NULL;
    PyObject *hs = NULL, *bf = NULL, *ins = NULL, *so = NULL, *qbf = NULL, *qins = NULL, *result = NULL;
    uint64_t *kept = NULL;
    int64_t *counted = NULL, *whole = NULL, *starts = NULL;
    const Py_ssize_t n_words = words.len / 8, n = offsets.len / 8 - 1, n_paras = paras.len / 4;
    if (words.len % 8 || quoted.len != n_words || offsets.len % 8 || n < 0 || paras.len % 4
        || drop.len != n_paras || k < 1 || mult.len != 8 * (Py_ssize_t)k) {
        PyErr_SetString(PyExc_ValueError, "sequences: bad buffer sizes");
        goto done;
    }
    const uint64_t *w = (const uint64_t *)words.buf, *pm = (const uint64_t *)mult.buf;
    const uint8_t *q = (const uint8_t *)quoted.buf, *dr = (const uint8_t *)drop.buf;
    const int64_t *off = (const int64_t *)offsets.buf;
    const int32_t *pw = (const int32_t *)paras.buf;
    if (check_offsets(off, n, n_words, "sequences") < 0) goto done;
    if (check_paragraphs(pw, n_paras, off, n, n_words, "sequences") < 0) goto done;
    kept = (uint64_t *)PyMem_RawMalloc(8 * (size_t)(n_words + 1));
    counted = (int64_t *)PyMem_RawMalloc(8 * (size_t)(n_words + 1));  /* counted kept words before each */
    whole = (int64_t *)PyMem_RawMalloc(8 * (size_t)(n_words + 1));    /* the same, quoted words too */
    starts = (int64_t *)PyMem_RawMalloc(8 * (size_t)(n + 1));
    so = PyByteArray_FromStringAndSize(NULL, 8 * (n + 1));
    if (!kept || !counted || !whole || !starts) PyErr_NoMemory();
    if (!kept || !counted || !whole || !starts || !so) goto done;
    /* the kept words, each article's starting where the one before ends */
    const Py_ssize_t m = keep_words(n, off, pw, dr, q, w, prose, kept, counted, whole, starts);
    int64_t *so_ = (int64_t *)PyByteArray_AS_STRING(so);
    so_[0] = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        const int64_t len = starts[i + 1] - starts[i];
        so_[i + 1] = so_[i] + (m >= k && len >= k ? len - k + 1 : 0);
    }
    hs = PyByteArray_FromStringAndSize(NULL, 4 * so_[n]);
    bf = PyByteArray_FromStringAndSize(NULL, 8 * so_[n]);
    ins = PyByteArray_FromStringAndSize(NULL, 8 * so_[n]);
    qbf = PyByteArray_FromStringAndSize(NULL, 8 * so_[n]);
    qins = PyByteArray_FromStringAndSize(NULL, 8 * so_[n]);
    if (!hs || !bf || !ins || !qbf || !qins) goto done;
    uint32_t *hs_ = (uint32_t *)PyByteArray_AS_STRING(hs);
    int64_t *bf_ = (int64_t *)PyByteArray_AS_STRING(bf), *ins_ = (int64_t *)PyByteArray_AS_STRING(ins);
    int64_t *qbf_ = (int64_t *)PyByteArray_AS_STRING(qbf), *qins_ = (int64_t *)PyByteArray_AS_STRING(qins);
    for (Py_ssize_t i = 0; i < n; i++) {
        int64_t out = so_[i];
        for (int64_t s = starts[i]; out < so_[i + 1]; s++, out++) {
            uint64_t acc = 0;
            for (int j = 0; j < k; j++) acc += kept[s + j] * pm[j];
            hs_[out] = (uint32_t)(fmix64(acc + (uint64_t)k) >> 32);
            bf_[out] = counted[s];
            ins_[out] = counted[s + k] - counted[s];
            qbf_[out] = whole[s];
            qins_[out] = whole[s + k] - whole[s];
        }
    }
    result = Py_BuildValue("(OOOOOO)", hs, bf, ins, so, qbf, qins);
done:
    Py_XDECREF(hs); Py_XDECREF(bf); Py_XDECREF(ins); Py_XDECREF(so); Py_XDECREF(qbf); Py_XDECREF(qins);
    PyMem_RawFree(kept); PyMem_RawFree(counted); PyMem_RawFree(whole); PyMem_RawFree(starts);
    PyBuffer_Release(&words); PyBuffer_Release(&quoted); PyBuffer_Release(&offsets); PyBuffer_Release(&paras);
    PyBuffer_Release(&drop); PyBuffer_Release(&mult);
    return result;
}

/* An open-addressing set of uint32 hashes, emptied in O(1) by moving to a new stamp. */
typedef struct {
    uint32_t *keys, *stamps, stamp, bits;
} hash_set;

static inline uint32_t set_slot(const hash_set *s, uint32_t x) {
    return (uint32_t)((x * 0x9E3779B1U) >> (32 - s->bits));
}

static inline void set_clear(hash_set *s) {
    if (++s->stamp == 0) {  /* wrapped: forget every old stamp */
        memset(s->stamps, 0, sizeof(uint32_t) << s->bits);
        s->stamp = 1;
    }
}

static inline void set_add(hash_set *s, uint32_t x) {
    const uint32_t mask = (1U << s->bits) - 1;
    for (uint32_t i = set_slot(s, x);; i = (i + 1) & mask) {
        if (s->stamps[i] != s->stamp) {
            s->stamps[i] = s->stamp;
            s->keys[i] = x;
            return;
        }
        if (s->keys[i] == x) return;
    }
}

static inline int set_has(const hash_set *s, uint32_t x) {
    const uint32_t mask = (1U << s->bits) - 1;
    for (uint32_t i = set_slot(s, x);; i = (i + 1) & mask) {
        if (s->stamps[i] != s->stamp) return 0;
        if (s->keys[i] == x) return 1;
    }
}

/* The counted words (`*counted`) and the words with quoted ones too (`*whole`) of the longest runs
 * of positions lo..hi-1 whose hash `in` holds, runs merged across up to `gap` missing positions
 * (verify._longest_runs for one pair; each maximum over the runs on its own); hits go to `found`
 * when it is not NULL. Returns whether there was a hit. */
static int longest_run(const uint32_t *h, const int64_t *before, const int64_t *inside, const int64_t *qbefore,
                       const int64_t *qinside, int64_t lo, int64_t hi, const hash_set *in, int64_t gap,
                       hash_set *found, int64_t *counted, int64_t *whole) {
    int64_t best = 0, best_whole = 0, first = -1, last = -1;
    for (int64_t x = lo; x < hi; x++) {
        if (!set_has(in, h[x])) continue;
        if (found) set_add(found, h[x]);
        if (first < 0 || x - last > gap + 1) {
            if (first >= 0) {
                const int64_t c = before[last] + inside[last] - before[first];
                const int64_t w = qbefore[last] + qinside[last] - qbefore[first];
                if (c > best) best = c;
                if (w > best_whole) best_whole = w;
            }
            first = x;
        }
        last = x;
    }
    if (first >= 0) {
        const int64_t c = before[last] + inside[last] - before[first];
        const int64_t w = qbefore[last] + qinside[last] - qbefore[first];
        if (c > best) best = c;
        if (w > best_whole) best_whole = w;
    }
    *counted = best;
    *whole = best_whole;
    return first >= 0;
}

/* passages(hashes, before, inside, quoted_before, quoted_inside, offsets, a, b, gap) -> longest shared
 * passage per pair, in words: verify.passage_words_many's result for sequences (shingles in text
 * order) a[p] and b[p]: the longer of the two sides' longest runs of counted words, capped by the
 * shorter of their longest runs counting quoted words too. */
static PyObject *kernel_passages(PyObject *Py_UNUSED(self), PyObject *args) {
    Py_buffer hashes, before, inside, qbefore, qinside, offsets, pa, pb;
    Py_ssize_t gap;
    if (!PyArg_ParseTuple(args, "y*y*y*y*y*y*y*y*n", &hashes, &before, &inside, &qbefore, &qinside, &offsets, &pa,
                          &pb, &gap))
        return NULL;
    PyObject *out = NULL;
    hash_set other = {0}, shared = {0};
    const Py_ssize_t n_values = hashes.len / 4, n = offsets.len / 8 - 1, m = pa.len / 8;
    if (hashes.len % 4 || before.len != 8 * n_values || inside.len != 8 * n_values || qbefore.len != 8 * n_values
        || qinside.len != 8 * n_values || offsets.len % 8 || n < 0 || pa.len % 8 || pb.len != pa.len || gap < 0) {
        PyErr_SetString(PyExc_ValueError, "passages: bad buffer sizes");
        goto done;
    }
    const uint32_t *h = (const uint32_t *)hashes.buf;
    const int64_t *bf = (const int64_t *)before.buf, *in = (const int64_t *)inside.buf;
    const int64_t *qbf = (const int64_t *)qbefore.buf, *qin = (const int64_t *)qinside.buf;
    const int64_t *off = (const int64_t *)offsets.buf, *a = (const int64_t *)pa.buf, *b = (const int64_t *)pb.buf;
    const Py_ssize_t longest = check_offsets(off, n, n_values, "passages");
    if (longest < 0 || check_pairs(a, b, m, n, "passages") < 0) goto done;
    uint32_t bits = 4;
    while (bits < 31 && ((Py_ssize_t)1 << bits) < 2 * longest) bits++;
    other.bits = shared.bits = bits;
    other.keys = (uint32_t *)PyMem_RawMalloc(sizeof(uint32_t) << bits);
    other.stamps = (uint32_t *)PyMem_RawCalloc((size_t)1 << bits, sizeof(uint32_t));
    shared.keys = (uint32_t *)PyMem_RawMalloc(sizeof(uint32_t) << bits);
    shared.stamps = (uint32_t *)PyMem_RawCalloc((size_t)1 << bits, sizeof(uint32_t));
    out = PyByteArray_FromStringAndSize(NULL, 8 * m);
    if (!other.keys || !other.stamps || !shared.keys || !shared.stamps) {
        Py_CLEAR(out);
        PyErr_NoMemory();
    }
    if (!out) goto done;
    int64_t *words = (int64_t *)PyByteArray_AS_STRING(out);
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t p = 0; p < m; p++) {
        const int64_t a0 = off[a[p]], a1 = off[a[p] + 1], b0 = off[b[p]], b1 = off[b[p] + 1];
        words[p] = 0;
        if (a0 == a1 || b0 == b1) continue;
        set_clear(&other);
        set_clear(&shared);
        for (int64_t y = b0; y < b1; y++) set_add(&other, h[y]);
        /* a's run among b's shingles; the shingles both hold then say where b's runs are */
        int64_t counted_a, whole_a, counted_b, whole_b;
        if (!longest_run(h, bf, in, qbf, qin, a0, a1, &other, gap, &shared, &counted_a, &whole_a)) continue;
        longest_run(h, bf, in, qbf, qin, b0, b1, &shared, gap, NULL, &counted_b, &whole_b);
        const int64_t cap = whole_a < whole_b ? whole_a : whole_b, got = counted_a > counted_b ? counted_a : counted_b;
        words[p] = got < cap ? got : cap;
    }
    Py_END_ALLOW_THREADS
done:
    PyMem_RawFree(other.keys); PyMem_RawFree(other.stamps); PyMem_RawFree(shared.keys); PyMem_RawFree(shared.stamps);
    PyBuffer_Release(&hashes); PyBuffer_Release(&before); PyBuffer_Release(&inside); PyBuffer_Release(&qbefore);
    PyBuffer_Release(&qinside); PyBuffer_Release(&offsets); PyBuffer_Release(&pa); PyBuffer_Release(&pb);
    return out;
}

/* spans(hashes, before, inside, offsets, x, y, gap) -> int64 (first, last) per pair: the first and
 * last position (in sequence x[p]) of the longest run of x[p]'s positions whose hash y[p] holds, by
 * counted words, the earliest of equal runs, runs merged across up to `gap` missing positions
 * (verify._longest_spans; -1, -2 where there is none). */
static PyObject *kernel_spans(PyObject *Py_UNUSED(self), PyObject *args) {
    Py_buffer hashes, before, inside, offsets, px, py;
    Py_ssize_t gap;
    if (!PyArg_ParseTuple(args, "y*y*y*y*y*y*n", &hashes, &before, &inside, &offsets, &px, &py, &gap))
        return NULL;
    PyObject *out = NULL;
    hash_set other = {0};
    const Py_ssize_t n_values = hashes.len / 4, n = offsets.len / 8 - 1, m = px.len / 8;
    if (hashes.len % 4 || before.len != 8 * n_values || inside.len != 8 * n_values || offsets.len % 8 || n < 0
        || px.len % 8 || py.len != px.len || gap < 0) {
        PyErr_SetString(PyExc_ValueError, "spans: bad buffer sizes");
        goto done;
    }
    const uint32_t *h = (const uint32_t *)hashes.buf;
    const int64_t *bf = (const int64_t *)before.buf, *in = (const int64_t *)inside.buf;
    const int64_t *off = (const int64_t *)offsets.buf, *xs = (const int64_t *)px.buf, *ys = (const int64_t *)py.buf;
    const Py_ssize_t longest = check_offsets(off, n, n_values, "spans");
    if (longest < 0 || check_pairs(xs, ys, m, n, "spans") < 0) goto done;
    uint32_t bits = 4;
    while (bits < 31 && ((Py_ssize_t)1 << bits) < 2 * longest) bits++;
    other.bits = bits;
    other.keys = (uint32_t *)PyMem_RawMalloc(sizeof(uint32_t) << bits);
    other.stamps = (uint32_t *)PyMem_RawCalloc((size_t)1 << bits, sizeof(uint32_t));
    out = PyByteArray_FromStringAndSize(NULL, 16 * m);
    if (!other.keys || !other.stamps) {
        Py_CLEAR(out);
        PyErr_NoMemory();
    }
    if (!out) goto done;
    int64_t *got = (int64_t *)PyByteArray_AS_STRING(out);
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t p = 0; p < m; p++) {
        const int64_t x0 = off[xs[p]], x1 = off[xs[p] + 1], y0 = off[ys[p]], y1 = off[ys[p] + 1];
        int64_t best = -1, best_first = -1, best_last = -2, first = -1, last = -1;
        got[2 * p] = -1;
        got[2 * p + 1] = -2;
        if (x0 == x1 || y0 == y1) continue;
        set_clear(&other);
        for (int64_t y = y0; y < y1; y++) set_add(&other, h[y]);
        for (int64_t x = x0; x <= x1; x++) {
            const int hit = x < x1 && set_has(&other, h[x]);
            if (x < x1 && !hit) continue;
            if (first >= 0 && (x == x1 || x - last > gap + 1)) {  /* the run first..last ends */
                const int64_t c = bf[last] + in[last] - bf[first];
                if (c > best) {
                    best = c;
                    best_first = first - x0;
                    best_last = last - x0;
                }
                first = -1;
            }
            if (hit) {
                if (first < 0) first = x;
                last = x;
            }
        }
        got[2 * p] = best_first;
        got[2 * p + 1] = best_last;
    }
    Py_END_ALLOW_THREADS
done:
    PyMem_RawFree(other.keys); PyMem_RawFree(other.stamps);
    PyBuffer_Release(&hashes); PyBuffer_Release(&before); PyBuffer_Release(&inside); PyBuffer_Release(&offsets);
    PyBuffer_Release(&px); PyBuffer_Release(&py);
    return out;
}

/* ---- passages from words: sequences + passages + spans in one call ------------------------------ */

/* An article's shingles in text order as word_passages keeps them: hashes h[x] for x in lo..hi-1,
 * and prefix counts of its kept words (counted: unquoted prose words; whole: prose words) where
 * shingle x's first word is word x + base. The counted words from shingle f's first word to
 * shingle l's last are counted[l + base + k] - counted[f + base] (before[l] + inside[l] - before[f]
 * of `sequences`). */
typedef struct {
    const uint32_t *h;
    const int64_t *counted, *whole;
    int64_t lo, hi, base;
} word_seq;

/* A 16384-bit filter of uint32 hashes (their top 14 bits): a hash whose bit is clear is not in
 * the set it was made from; one whose bit is set may be. 2 KB: it stays in the first-level cache. */
#define FILTER_WORDS 256

static inline void filter_add(uint64_t *f, uint32_t x) {
    f[x >> 24] |= (uint64_t)1 << ((x >> 18) & 63);
}

static inline int filter_has(const uint64_t *f, uint32_t x) {
    return (int)((f[x >> 24] >> ((x >> 18) & 63)) & 1);
}

/* The shingles two articles share: a hash set, and its filter, which answers most asks alone. */
typedef struct {
    const uint64_t *filter;
    const hash_set *set;
} shared_set;

static inline int shared_has(const shared_set *s, uint32_t x) {
    return filter_has(s->filter, x) && set_has(s->set, x);
}

/* longest_run's (counted, whole) maxima for one article's shingles found in `in` (the shingles
 * the pair shares). */
static void seq_longest_run(const word_seq *s, int k, const shared_set *in, int64_t gap, int64_t *counted,
                            int64_t *whole) {
    int64_t best = 0, best_whole = 0, first = -1, last = -1;
    for (int64_t x = s->lo; x <= s->hi; x++) {
        const int hit = x < s->hi && shared_has(in, s->h[x]);
        if (x < s->hi && !hit) continue;
        if (first >= 0 && (x == s->hi || x - last > gap + 1)) {
            const int64_t c = s->counted[last + s->base + k] - s->counted[first + s->base];
            const int64_t w = s->whole[last + s->base + k] - s->whole[first + s->base];
            if (c > best) best = c;
            if (w > best_whole) best_whole = w;
            first = -1;
        }
        if (hit) {
            if (first < 0) first = x;
            last = x;
        }
    }
    *counted = best;
    *whole = best_whole;
}

/* kernel_spans for one article's shingles found in `in` (the shingles the pair shares: those the
 * other article holds): the first and last position (from the article's first shingle) of its
 * longest run by counted words, the earliest of equal runs. */
static void seq_span(const word_seq *s, int k, const shared_set *in, int64_t gap, int64_t *span) {
    int64_t best = -1, first = -1, last = -1;
    span[0] = -1;
    span[1] = -2;
    for (int64_t x = s->lo; x <= s->hi; x++) {
        const int hit = x < s->hi && shared_has(in, s->h[x]);
        if (x < s->hi && !hit) continue;
        if (first >= 0 && (x == s->hi || x - last > gap + 1)) {
            const int64_t c = s->counted[last + s->base + k] - s->counted[first + s->base];
            if (c > best) {
                best = c;
                span[0] = first - s->lo;
                span[1] = last - s->lo;
            }
            first = -1;
        }
        if (hit) {
            if (first < 0) first = x;
            last = x;
        }
    }
}

/* word_passages(word_hashes, word_quoted, word_offsets, para_words, drop, multipliers, k, prose_words,
 *   a, b, gap, min_words) -> (words, spans): passages(*sequences(...), a, b, gap) of the batch's
 * words without building the sequences' six arrays, and for each pair whose passage has min_words
 * or more, spans(x=a, y=b) and spans(x=b, y=a) (int64 (first, last, first, last) per pair; -1, -2,
 * -1, -2 for the others): verify.passage_spans. */
static PyObject *kernel_word_passages(PyObject *Py_UNUSED(self), PyObject *args) {
    Py_buffer words, quoted, offsets, paras, drop, mult, pa, pb;
    int k;
    Py_ssize_t prose, gap, min_words;
    if (!PyArg_ParseTuple(args, "y*y*y*y*y*y*iny*y*nn", &words, &quoted, &offsets, &paras, &drop, &mult, &k, &prose,
                          &pa, &pb, &gap, &min_words))
        return NULL;
    PyObject *out = NULL, *spans_out = NULL, *result = NULL;
    uint64_t *kept = NULL;
    uint32_t *h = NULL;
    int64_t *counted = NULL, *whole = NULL, *starts = NULL, *so = NULL;
    hash_set one = {0}, two = {0};
    const Py_ssize_t n_words = words.len / 8, n = offsets.len / 8 - 1, n_paras = paras.len / 4, m = pa.len / 8;
    if (words.len % 8 || quoted.len != n_words || offsets.len % 8 || n < 0 || paras.len % 4
        || drop.len != n_paras || k < 1 || mult.len != 8 * (Py_ssize_t)k || pa.len % 8 || pb.len != pa.len
        || gap < 0) {
        PyErr_SetString(PyExc_ValueError, "word_passages: bad buffer sizes");
        goto done;
    }
    const uint64_t *w = (const uint64_t *)words.buf, *pm = (const uint64_t *)mult.buf;
    const uint8_t *q = (const uint8_t *)quoted.buf, *dr = (const uint8_t *)drop.buf;
    const int64_t *off = (const int64_t *)offsets.buf, *a = (const int64_t *)pa.buf, *b = (const int64_t *)pb.buf;
    const int32_t *pw = (const int32_t *)paras.buf;
    if (check_offsets(off, n, n_words, "word_passages") < 0 || check_pairs(a, b, m, n, "word_passages") < 0)
        goto done;
    if (check_paragraphs(pw, n_paras, off, n, n_words, "word_passages") < 0) goto done;
    kept = (uint64_t *)PyMem_RawMalloc(8 * (size_t)(n_words + 1));
    counted = (int64_t *)PyMem_RawMalloc(8 * (size_t)(n_words + 1));
    whole = (int64_t *)PyMem_RawMalloc(8 * (size_t)(n_words + 1));
    starts = (int64_t *)PyMem_RawMalloc(8 * (size_t)(n + 1));
    so = (int64_t *)PyMem_RawMalloc(8 * (size_t)(n + 1));
    if (!kept || !counted || !whole || !starts || !so) {
        PyErr_NoMemory();
        goto done;
    }
    /* the kept words and their prefix counts, as `sequences` finds them */
    const Py_ssize_t kw = keep_words(n, off, pw, dr, q, w, prose, kept, counted, whole, starts);
    so[0] = 0;
    Py_ssize_t longest = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        const int64_t len = starts[i + 1] - starts[i];
        so[i + 1] = so[i] + (kw >= k && len >= k ? len - k + 1 : 0);
        if (so[i + 1] - so[i] > longest) longest = (Py_ssize_t)(so[i + 1] - so[i]);
    }
    h = (uint32_t *)PyMem_RawMalloc(4 * (size_t)(so[n] + 1));
    if (!h) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        int64_t s = starts[i];
        for (int64_t x = so[i]; x < so[i + 1]; s++, x++) {
            uint64_t acc = 0;
            for (int j = 0; j < k; j++) acc += kept[s + j] * pm[j];
            h[x] = (uint32_t)(fmix64(acc + (uint64_t)k) >> 32);
        }
    }
    PyMem_RawFree(kept);
    kept = NULL;
    uint32_t bits = 4;
    while (bits < 31 && ((Py_ssize_t)1 << bits) < 2 * longest) bits++;
    one.bits = two.bits = bits;
    one.keys = (uint32_t *)PyMem_RawMalloc(sizeof(uint32_t) << bits);
    one.stamps = (uint32_t *)PyMem_RawCalloc((size_t)1 << bits, sizeof(uint32_t));
    two.keys = (uint32_t *)PyMem_RawMalloc(sizeof(uint32_t) << bits);
    two.stamps = (uint32_t *)PyMem_RawCalloc((size_t)1 << bits, sizeof(uint32_t));
    out = PyByteArray_FromStringAndSize(NULL, 8 * m);
    spans_out = PyByteArray_FromStringAndSize(NULL, 32 * m);
    if (!one.keys || !one.stamps || !two.keys || !two.stamps) {
        PyErr_NoMemory();
        goto done;
    }
    if (!out || !spans_out) goto done;
    int64_t *got = (int64_t *)PyByteArray_AS_STRING(out), *span = (int64_t *)PyByteArray_AS_STRING(spans_out);
    uint64_t fa[FILTER_WORDS], fb[FILTER_WORDS], fs[FILTER_WORDS];
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t r = 0; r < m; r++) {
        const word_seq sa = {h, counted, whole, so[a[r]], so[a[r] + 1], starts[a[r]] - so[a[r]]};
        const word_seq sb = {h, counted, whole, so[b[r]], so[b[r] + 1], starts[b[r]] - so[b[r]]};
        int64_t *sp = span + 4 * r;
        got[r] = 0;
        sp[0] = sp[2] = -1;
        sp[1] = sp[3] = -2;
        if (sa.lo == sa.hi || sb.lo == sb.hi) continue;
        /* The shingles both hold, without a set of all of either: b's filter picks a's few that
         * b may hold (set `one`), a's filter and `one` then find exactly those b holds too (set
         * `two`, and its filter). A shingle of a is in b, and one of b in a, just when it is in `two`. */
        memset(fa, 0, sizeof(fa));
        memset(fb, 0, sizeof(fb));
        memset(fs, 0, sizeof(fs));
        for (int64_t y = sb.lo; y < sb.hi; y++) filter_add(fb, h[y]);
        set_clear(&one);
        for (int64_t x = sa.lo; x < sa.hi; x++) {
            filter_add(fa, h[x]);
            if (filter_has(fb, h[x])) set_add(&one, h[x]);
        }
        set_clear(&two);
        int any = 0;
        for (int64_t y = sb.lo; y < sb.hi; y++) {
            if (filter_has(fa, h[y]) && set_has(&one, h[y])) {
                set_add(&two, h[y]);
                filter_add(fs, h[y]);
                any = 1;
            }
        }
        if (!any) continue;
        const shared_set both = {fs, &two};
        int64_t counted_a, whole_a, counted_b, whole_b;
        seq_longest_run(&sa, k, &both, gap, &counted_a, &whole_a);
        seq_longest_run(&sb, k, &both, gap, &counted_b, &whole_b);
        const int64_t cap = whole_a < whole_b ? whole_a : whole_b, most = counted_a > counted_b ? counted_a : counted_b;
        got[r] = most < cap ? most : cap;
        if (got[r] < min_words) continue;
        seq_span(&sa, k, &both, gap, sp);
        seq_span(&sb, k, &both, gap, sp + 2);
    }
    Py_END_ALLOW_THREADS
    result = Py_BuildValue("(OO)", out, spans_out);
done:
    Py_XDECREF(out); Py_XDECREF(spans_out);
    PyMem_RawFree(kept); PyMem_RawFree(h); PyMem_RawFree(counted); PyMem_RawFree(whole); PyMem_RawFree(starts);
    PyMem_RawFree(so);
    PyMem_RawFree(one.keys); PyMem_RawFree(one.stamps); PyMem_RawFree(two.keys); PyMem_RawFree(two.stamps);
    PyBuffer_Release(&words); PyBuffer_Release(&quoted); PyBuffer_Release(&offsets); PyBuffer_Release(&paras);
    PyBuffer_Release(&drop); PyBuffer_Release(&mult); PyBuffer_Release(&pa); PyBuffer_Release(&pb);
    return result;
}

/* copy_runs(src, dst, starts, ends, to, itemsize): dst's items to[k] .. to[k] + ends[k] - starts[k] - 1
 * are src's items starts[k] .. ends[k] - 1, for every k (items of itemsize bytes): many articles'
 * runs cut out of a chunk's flat arrays into a batch (spill._copy_runs), one memcpy each. */
static PyObject *kernel_copy_runs(PyObject *Py_UNUSED(self), PyObject *args) {
    Py_buffer src, dst, ps, pe, pt;
    Py_ssize_t size;
    if (!PyArg_ParseTuple(args, "y*w*y*y*y*n", &src, &dst, &ps, &pe, &pt, &size)) return NULL;
    PyObject *result = NULL;
    const Py_ssize_t m = ps.len / 8;
    if (size < 1 || src.len % size || dst.len % size || ps.len % 8 || pe.len != ps.len || pt.len != ps.len) {
        PyErr_SetString(PyExc_ValueError, "copy_runs: bad buffer sizes");
        goto done;
    }
    const int64_t *s = (const int64_t *)ps.buf, *e = (const int64_t *)pe.buf, *t = (const int64_t *)pt.buf;
    const int64_t n_src = src.len / size, n_dst = dst.len / size;
    for (Py_ssize_t k = 0; k < m; k++) {
        if (s[k] < 0 || e[k] < s[k] || e[k] > n_src || t[k] < 0 || t[k] > n_dst - (e[k] - s[k])) {
            PyErr_Format(PyExc_ValueError, "copy_runs: run %zd out of range", k);
            goto done;
        }
    }
    const char *from = (const char *)src.buf;
    char *into = (char *)dst.buf;
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t k = 0; k < m; k++) memcpy(into + t[k] * size, from + s[k] * size, (size_t)((e[k] - s[k]) * size));
    Py_END_ALLOW_THREADS
    Py_INCREF(Py_None);
    result = Py_None;
done:
    PyBuffer_Release(&src); PyBuffer_Release(&dst); PyBuffer_Release(&ps); PyBuffer_Release(&pe); PyBuffer_Release(&pt);
    return result;
}

static PyMethodDef kernel_methods[] = {
    {"fold_confusables", kernel_fold_confusables, METH_O,
     "fold_confusables(tokens: bytes) -> bytes: normalize.fold_confusables (OCR's confusable "
     "characters folded, one pass)."},
    {"analyze_views", kernel_analyze_views, METH_VARARGS,
     "analyze_views(token_bytes: list[bytes], rejoined: list[bytes | None], key: bytes, noisy_key: bytes) -> "
     "(exact, noisy): analyze's 7 bytearrays of each view; the noisy view's words are each text's "
     "(or its rejoined tokens') with confusables folded, hashed under noisy_key, without digests."},
    {"analyze", kernel_analyze, METH_VARARGS,
     "analyze(token_bytes: list[bytes], key: bytes, digests: bool = True) -> 7 bytearrays: word hashes, "
     "quoted flags, word offsets, paragraph hashes, paragraph word counts, paragraph offsets, fingerprints "
     "(the last two zero without digests)."},
    {"shingle", kernel_shingle, METH_VARARGS,
     "shingle(word_hashes, word_quoted, word_offsets, keep, multipliers, k) -> (sorted unique uint32 "
     "shingle hashes per article, unquoted flags, offsets)."},
    {"minhash", kernel_minhash, METH_VARARGS,
     "minhash(values: uint32 buffer, offsets: int64 buffer, a, b) -> uint32 signatures, one row per article."},
    {"_blake2b_many", kernel_blake2b_many, METH_VARARGS,
     "_blake2b_many(data: bytes, lengths: list[int], outlen: int, plain: bool) -> bytes: BLAKE2b digests "
     "of consecutive pieces of data, four at a time (AVX2) or one by one (plain), for tests."},
    {"has_surrogates", kernel_has_surrogates, METH_O,
     "has_surrogates(text: str) -> bool: whether the text holds a lone surrogate."},
    {"shingle_minhash", kernel_shingle_minhash, METH_VARARGS,
     "shingle_minhash(word_hashes, word_quoted, word_offsets, keep, multipliers, k, a, b, sample) -> (shingle(...)'s "
     "three arrays, uint32 MinHash rows of each set's hashes divisible by sample)."},
    {"repeated", kernel_repeated, METH_O,
     "repeated(keys: uint64 buffer) -> int64 positions, ascending, of the keys that occur more than once."},
    {"band_keys", kernel_band_keys, METH_VARARGS,
     "band_keys(signatures, width, select, bands, rows) -> uint64 (bands, len(select)) LSH band keys."},
    {"sum_by_code", kernel_sum_by_code, METH_VARARGS,
     "sum_by_code(codes: int64, weights: int64) -> (distinct codes in the order first seen, summed weights)."},
    {"_space_bits", kernel_space_bits, METH_VARARGS,
     "_space_bits(data: bytes, avx2: bool) -> bytes: whitespace bits (uint64 words), for tests."},
    {"paragraphs", kernel_paragraphs, METH_O,
     "paragraphs(text: str) -> str | None: the stripped non-blank lines joined with NUL (a NUL inside "
     "one made a space), or None when two non-blank lines touch."},
    {"token_bytes", kernel_token_bytes, METH_VARARGS,
     "token_bytes(text: str, fold, stable) -> bytes | None: normalize.token_bytes in one pass, or None "
     "when two non-blank lines touch or stable(char) says NFKC may change a character."},
    {"word_bytes", kernel_word_bytes, METH_VARARGS,
     "word_bytes(text: str, fold) -> bytes: the tokens of NFKC paragraphs, separated by spaces; "
     "fold(char) gives a non-ASCII character's bytes."},
    {"overlap", kernel_overlap, METH_VARARGS,
     "overlap(hashes, unquoted, offsets, a, b, count_unquoted) -> (shared, shared unquoted on either side): int64 counts "
     "per pair of sorted distinct uint32 sets."},
    {"overlap_reaching", kernel_overlap_reaching, METH_VARARGS,
     "overlap_reaching(hashes, offsets, a, b, need) -> int64 shared hashes per pair of sorted distinct uint32 "
     "sets where need[p] or more, else 0."},
    {"sequences", kernel_sequences, METH_VARARGS,
     "sequences(word_hashes, word_quoted, word_offsets, para_words, drop, multipliers, k, prose_words) -> "
     "(uint32 shingle hashes in text order, int64 counted words before, int64 inside, int64 offsets, "
     "int64 words before and inside with quoted words counted too)."},
    {"spans", kernel_spans, METH_VARARGS,
     "spans(hashes, before, inside, offsets, x, y, gap) -> int64 (first, last) per pair: where in x[p] its "
     "longest run of y[p]'s shingles lies (verify._longest_spans)."},
    {"passages", kernel_passages, METH_VARARGS,
     "passages(hashes, before, inside, quoted_before, quoted_inside, offsets, a, b, gap) -> int64 longest "
     "shared passage per pair, in words, of shingle sequences in text order."},
    {"copy_runs", kernel_copy_runs, METH_VARARGS,
     "copy_runs(src, dst, starts, ends, to, itemsize) -> None: dst[to[k]:to[k] + ends[k] - starts[k]] = "
     "src[starts[k]:ends[k]] for every k, items of itemsize bytes."},
    {"word_passages", kernel_word_passages, METH_VARARGS,
     "word_passages(word_hashes, word_quoted, word_offsets, para_words, drop, multipliers, k, prose_words, a, b, gap, "
     "min_words) -> (int64 passages per pair, int64 (first, last) spans of a in b and b in a per pair where the "
     "passage has min_words or more): verify.passage_spans."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef kernel_module = {
    PyModuleDef_HEAD_INIT, "syndup._kernel",
    "syndup's optional C kernel: word hashing and MinHash (numpy does the same when it is absent).",
    -1, kernel_methods, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__kernel(void) {
    init_word_table();
    return PyModule_Create(&kernel_module);
}
