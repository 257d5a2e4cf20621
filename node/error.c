/* Descriptions and short names of the WL_E* error codes. */
#include "wardline/error.h"

#include <stddef.h>

struct error_text {
	const char *name;
	const char *text;
};

static const struct error_text error_table[WL_ERROR_COUNT] = {
	[0] = {"ok", "success"},
	[-WL_EINVAL] = {"invalid", "invalid argument"},
	[-WL_ENOMEM] = {"no_memory", "out of memory"},
	[-WL_EIO] = {"io", "input/output error"},
	[-WL_ENOTFOUND] = {"not_found", "not found"},
	[-WL_EEXIST] = {"exists", "already exists"},
	[-WL_ETRUNC] = {"truncated", "input truncated"},
	[-WL_ETOOBIG] = {"too_big", "length exceeds the maximum"},
	[-WL_EVERSION] = {"version", "unknown format version"},
	[-WL_EKIND] = {"kind", "unknown event kind"},
	[-WL_EFLAGS] = {"flags", "invalid flags"},
	[-WL_ETRAILING] = {"trailing", "trailing bytes after the encoding"},
	[-WL_EAUTH] = {"auth", "authentication failed"},
	[-WL_EBODYHASH] = {"body_hash", "body does not match its hash"},
	[-WL_ECHAIN] = {"chain", "prev hash does not link to its predecessor"},
	[-WL_EFORK] = {"fork", "two different events for one origin and seq"},
	[-WL_EFORKED] = {"forked_origin", "origin is marked forked"},
	[-WL_ESKEW] = {"clock_skew", "timestamp too far ahead of the local clock"},
	[-WL_ESTORE] = {"store", "store (LMDB) error"},
	[-WL_ENOSPC] = {"no_space", "no space left on the disk"},
	[-WL_ECERT] = {"certificate", "certificate invalid"},
	[-WL_EREVOKED] = {"revoked", "node certificate revoked"},
	[-WL_ECONFIG] = {"config", "invalid configuration"},
	[-WL_ESEQ] = {"seq", "invalid seq"},
	[-WL_EBUSY] = {"busy", "resource busy"},
	[-WL_ERANGE] = {"range", "value out of range"},
	[-WL_EPERM] = {"permissions", "file permissions too open"},
	[-WL_EUSAGE] = {"usage", "invalid command line"},
	[-WL_EDENIED] = {"denied", "denied by the access or password rules"},
};

static const struct error_text *error_lookup(int err)
{
	if (err > 0 || err <= WL_ERROR_MIN)
		return NULL;

	return &error_table[-err];
}

const char *wl_strerror(int err)
{
	const struct error_text *e = error_lookup(err);

	return e && e->text ? e->text : "unknown error";
}

const char *wl_strerror_name(int err)
{
	const struct error_text *e = error_lookup(err);

	return e && e->name ? e->name : "unknown";
}
