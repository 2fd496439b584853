/* SPDX-License-Identifier: MIT */
/* cap-version.h - the version of libpcap, for fcgitool --version. */
#ifndef FCGITOOL_CAP_VERSION_H
#define FCGITOOL_CAP_VERSION_H

/* libpcap's version as it reports it at run time, without the leading
 * "libpcap version " ("1.10.3 (with TPACKET_V3)"); libpcap's headers
 * give no version of the library to compare it with. */
const char *cap_lib_version(void);

#endif
