/* SPDX-License-Identifier: MIT */
/*
 * play.h - one response of a plan turned into the steps the mock runner
 * plays for one request (struct fcgi_mock_play, fcgi-uv.h): templates
 * expanded, records framed as the steps say, random choices drawn.
 */
#ifndef FCGI_MOCK_PLAY_H
#define FCGI_MOCK_PLAY_H

#include "fcgi-uv.h"
#include "plan.h"
#include "rng.h"

#define MOCK_PLAY_FAULTS 16

struct mock_play {
	struct fcgi_mock_play play; /* the runner's view of steps */
	struct fcgi_mock_step *steps;
	size_t n, cap;
	/* The script names of the fault steps that took effect, in order
	 * (static strings), at most MOCK_PLAY_FAULTS of them. */
	const char *faults[MOCK_PLAY_FAULTS];
	size_t nfaults;
};

/*
 * Build the play of r for the request req (whose id is request_id),
 * drawing probabilities, delays and garbage from rng and counting each
 * step's "firstN" in r (which is why r is not const).  A DELEGATE step's
 * name points into r.  0, or FCGI_ENOMEM (out is then empty).
 */
int mock_play_build(struct mock_play *out, struct mock_response *r,
		    const struct mock_req *req, uint16_t request_id,
		    struct mock_rng *rng);
void mock_play_free(struct mock_play *p);

/* Append t with its holes filled from req (a param not there: nothing;
 * ${body}: the bytes kept) to out.  0, FCGI_ENOMEM, FCGI_ELIMIT. */
int mock_tmpl_expand(const struct mock_tmpl *t, const struct mock_req *req,
		     struct fcgi_buf *out);

/* Whether a response's answer needs the request body (${body}). */
bool mock_response_uses_body(const struct mock_response *r);

#endif
