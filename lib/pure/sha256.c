/* SPDX-License-Identifier: MIT */
/*
 * sha256.c - SHA-256 (FIPS 180-4), for the proxy's per-direction digests
 * and the mock's journal of request bodies: in portable C and, on x86
 * CPUs that have them, with the SHA extensions (SHA256RNDS2,
 * SHA256MSG1/2).  The proxy's --summary hashes every byte it forwards,
 * and the portable code does around 100-200 MB/s, a fraction of what a
 * proxy forwards; the extensions several times more.
 */
#include <string.h>

#include "internal.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define SHA_X86 1
#include <cpuid.h>
#include <immintrin.h>
#endif

/* FIPS 180-4, 4.2.2: the first 32 bits of the fractional parts of the
 * cube roots of the first 64 primes. */
static const uint32_t sha_k[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
	0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
	0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
	0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
	0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
	0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
	0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
	0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
	0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

typedef void (*blocks_fn)(uint32_t h[8], const uint8_t *p, size_t n);

static uint32_t ror(uint32_t x, unsigned n)
{
	return x >> n | x << (32 - n);
}

/* FIPS 180-4, 6.2.2: n 64-byte blocks into the state.  The working
 * variables a..h are locals, so that each round is register moves. */
static void blocks_c(uint32_t hs[8], const uint8_t *p, size_t n)
{
	uint32_t w[64], a, b, c, d, e, f, g, h, t1, t2;
	unsigned i;

	for (; n > 0; n--, p += 64) {
		for (i = 0; i < 16; i++)
			w[i] = (uint32_t)p[4 * i] << 24 |
			       (uint32_t)p[4 * i + 1] << 16 |
			       (uint32_t)p[4 * i + 2] << 8 |
			       (uint32_t)p[4 * i + 3];
		for (i = 16; i < 64; i++)
			w[i] = w[i - 16] +
			       (ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^
				(w[i - 15] >> 3)) +
			       w[i - 7] +
			       (ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^
				(w[i - 2] >> 10));
		a = hs[0];
		b = hs[1];
		c = hs[2];
		d = hs[3];
		e = hs[4];
		f = hs[5];
		g = hs[6];
		h = hs[7];
		for (i = 0; i < 64; i++) {
			t1 = h + (ror(e, 6) ^ ror(e, 11) ^ ror(e, 25)) +
			     ((e & f) ^ (~e & g)) + sha_k[i] + w[i];
			t2 = (ror(a, 2) ^ ror(a, 13) ^ ror(a, 22)) +
			     ((a & b) ^ (a & c) ^ (b & c));
			h = g;
			g = f;
			f = e;
			e = d + t1;
			d = c;
			c = b;
			b = a;
			a = t1 + t2;
		}
		hs[0] += a;
		hs[1] += b;
		hs[2] += c;
		hs[3] += d;
		hs[4] += e;
		hs[5] += f;
		hs[6] += g;
		hs[7] += h;
	}
}

#ifdef SHA_X86
/*
 * The same with the SHA extensions.  SHA256RNDS2 does two rounds on the
 * state split as {A,B,E,F} and {C,D,G,H} (each with A, resp. C, in the
 * top lane), taking W[t]+K[t] for the two rounds in the low 64 bits of
 * its third operand; after two rounds the old {A,B,E,F} is the new
 * {C,D,G,H}, so the two halves swap roles each call.  The message
 * schedule (FIPS 180-4, 6.2.2 step 1) runs four words at a time in a ring
 * of four registers: m[g % 4] holds W[4g..4g+3] by round 4g; SHA256MSG1
 * adds sigma0(W[t-15]) to W[t-16], the words W[t-7] are added from the
 * two groups before, and SHA256MSG2 adds sigma1(W[t-2]).
 */
__attribute__((target("sha,sse4.1,ssse3"))) static void
blocks_ni(uint32_t hs[8], const uint8_t *p, size_t n)
{
	/* Big-endian words: reverse the bytes of each 32-bit lane. */
	const __m128i bswap =
		_mm_set_epi64x(0x0c0d0e0f08090a0bLL, 0x0405060700010203LL);
	__m128i abef, cdgh, abef0, cdgh0, t, k, m[4];
	unsigned g;

	/* hs[0..3] = A B C D and hs[4..7] = E F G H, A in lane 0. */
	t = _mm_loadu_si128((const __m128i *)(const void *)&hs[0]);
	cdgh = _mm_loadu_si128((const __m128i *)(const void *)&hs[4]);
	t = _mm_shuffle_epi32(t, 0xb1);	       /* B A D C */
	cdgh = _mm_shuffle_epi32(cdgh, 0x1b);  /* H G F E */
	abef = _mm_alignr_epi8(t, cdgh, 8);    /* F E B A: A on top */
	cdgh = _mm_blend_epi16(cdgh, t, 0xf0); /* H G D C: C on top */
	for (; n > 0; n--, p += 64) {
		abef0 = abef;
		cdgh0 = cdgh;
		for (g = 0; g < 16; g++) {
			if (g < 4)
				m[g] = _mm_shuffle_epi8(
					_mm_loadu_si128(
						(const __m128i
							 *)(const void
								    *)(p +
								       16 * g)),
					bswap);
			k = _mm_add_epi32(
				m[g % 4],
				_mm_loadu_si128((
					const __m128i
						*)(const void *)&sha_k[4 * g]));
			cdgh = _mm_sha256rnds2_epu32(cdgh, abef, k);
			/* The next group: W[t-7] from this group and the one
			 * before (before SHA256MSG1 reuses that one), then
			 * sigma1(W[t-2]). */
			if (g >= 3 && g < 15) {
				t = _mm_alignr_epi8(m[g % 4], m[(g + 3) % 4],
						    4);
				m[(g + 1) % 4] =
					_mm_add_epi32(m[(g + 1) % 4], t);
				m[(g + 1) % 4] = _mm_sha256msg2_epu32(
					m[(g + 1) % 4], m[g % 4]);
			}
			k = _mm_shuffle_epi32(k, 0x0e);
			abef = _mm_sha256rnds2_epu32(abef, cdgh, k);
			/* Group g + 3 starts from the group before this one
			 * plus sigma0 of the words after it. */
			if (g >= 1 && g <= 12)
				m[(g + 3) % 4] = _mm_sha256msg1_epu32(
					m[(g + 3) % 4], m[g % 4]);
		}
		abef = _mm_add_epi32(abef, abef0);
		cdgh = _mm_add_epi32(cdgh, cdgh0);
	}
	t = _mm_shuffle_epi32(abef, 0x1b);     /* A B E F from lane 0 */
	cdgh = _mm_shuffle_epi32(cdgh, 0xb1);  /* D C H G */
	abef = _mm_blend_epi16(t, cdgh, 0xf0); /* A B C D */
	cdgh = _mm_alignr_epi8(cdgh, t, 8);    /* E F G H */
	_mm_storeu_si128((__m128i *)(void *)&hs[0], abef);
	_mm_storeu_si128((__m128i *)(void *)&hs[4], cdgh);
}

/* CPUID: SHA (leaf 7, EBX bit 29), SSSE3 and SSE4.1 (leaf 1, ECX bits 9
 * and 19). */
static bool cpu_has_sha(void)
{
	unsigned a, b, c, d;

	if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & 1u << 9) ||
	    !(c & 1u << 19))
		return false;
	if (!__get_cpuid_count(7, 0, &a, &b, &c, &d))
		return false;
	return (b & 1u << 29) != 0;
}
#endif

static blocks_fn blocks_chosen;
static bool portable_forced;

static blocks_fn blocks(void)
{
	if (portable_forced)
		return blocks_c;
	if (blocks_chosen == NULL) {
		blocks_chosen = blocks_c;
#ifdef SHA_X86
		if (cpu_has_sha())
			blocks_chosen = blocks_ni;
#endif
	}
	return blocks_chosen;
}

bool fcgi_sha256_accelerated(void)
{
	return blocks() != blocks_c;
}

void fcgi_sha256_force_portable(bool on)
{
	portable_forced = on;
}

void fcgi_sha256_init(struct fcgi_sha256 *s)
{
	/* FIPS 180-4, 5.3.3. */
	static const uint32_t h0[8] = {
		0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
		0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
	};

	memcpy(s->h, h0, sizeof(h0));
	s->len = 0;
	s->n = 0;
}

void fcgi_sha256_update(struct fcgi_sha256 *s, const uint8_t *p, size_t len)
{
	blocks_fn fn = blocks();
	size_t take;

	s->len += len;
	if (s->n > 0) {
		take = 64 - s->n < len ? 64 - s->n : len;
		memcpy(s->buf + s->n, p, take);
		s->n += take;
		p += take;
		len -= take;
		if (s->n < 64)
			return;
		fn(s->h, s->buf, 1);
		s->n = 0;
	}
	if (len >= 64) {
		fn(s->h, p, len / 64);
		p += len / 64 * 64;
		len %= 64;
	}
	memcpy(s->buf, p, len);
	s->n = len;
}

/* FIPS 180-4, 5.1.1: a 1 bit, zeros, and the length in bits. */
void fcgi_sha256_final(struct fcgi_sha256 *s, uint8_t out[32])
{
	blocks_fn fn = blocks();
	uint64_t bits = s->len * 8;
	unsigned i;

	s->buf[s->n++] = 0x80;
	if (s->n > 56) {
		memset(s->buf + s->n, 0, 64 - s->n);
		fn(s->h, s->buf, 1);
		s->n = 0;
	}
	memset(s->buf + s->n, 0, 56 - s->n);
	for (i = 0; i < 8; i++)
		s->buf[56 + i] = (uint8_t)(bits >> (56 - 8 * i));
	fn(s->h, s->buf, 1);
	for (i = 0; i < 32; i++)
		out[i] = (uint8_t)(s->h[i / 4] >> (24 - 8 * (i % 4)));
}
