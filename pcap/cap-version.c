/* SPDX-License-Identifier: MIT */
/* cap-version.c - the version of libpcap, asked here because libpcap
 * belongs to pcap/ (tests/check-deps.sh). */
#include <string.h>

#include <pcap/pcap.h>

#include "cap-version.h"

const char *cap_lib_version(void)
{
	static const char prefix[] = "libpcap version ";
	const char *v = pcap_lib_version();

	if (v == NULL)
		return "unknown";
	if (strncmp(v, prefix, sizeof(prefix) - 1) == 0)
		v += sizeof(prefix) - 1;
	return v;
}
