/* Error codes shared by every Wardline module.
 *
 * Functions that can fail return 0 or one of the negative codes below.
 * Every failed signature check and every failed decryption returns
 * WL_EAUTH, so a caller (and an attacker) learns nothing about which byte
 * was wrong. A caller that must name the failing field can do so because it
 * knows which check it called.
 */
#ifndef WARDLINE_ERROR_H
#define WARDLINE_ERROR_H

enum wl_error {
	WL_OK = 0,
	WL_EINVAL = -1,      /* invalid argument from our own caller */
	WL_ENOMEM = -2,      /* allocation failed */
	WL_EIO = -3,         /* file or system call failed; errno is set */
	WL_ENOTFOUND = -4,   /* no such event, key, file or record */
	WL_EEXIST = -5,      /* already exists and must not be replaced */
	WL_ETRUNC = -6,      /* input shorter than its length fields state */
	WL_ETOOBIG = -7,     /* a length field exceeds its maximum */
	WL_EVERSION = -8,    /* unknown format version */
	WL_EKIND = -9,       /* unknown event kind */
	WL_EFLAGS = -10,     /* reserved flag bits set, or flags contradict fields */
	WL_ETRAILING = -11,  /* bytes left over after a complete encoding */
	WL_EAUTH = -12,      /* signature or AEAD authentication failed */
	WL_EBODYHASH = -13,  /* body does not match the header's body hash */
	WL_ECHAIN = -14,     /* prev hash does not link to the previous event */
	WL_EFORK = -15,      /* two different events claim one (origin, seq) */
	WL_EFORKED = -16,    /* origin has fork evidence; its events are refused */
	WL_ESKEW = -17,      /* timestamp too far ahead of the local clock */
	WL_ESTORE = -18,     /* LMDB reported an unexpected error */
	WL_ENOSPC = -19,     /* the disk has no room for the store to grow */
	WL_ECERT = -20,      /* certificate invalid, expired or of another site */
	WL_EREVOKED = -21,   /* node certificate has been revoked */
	WL_ECONFIG = -22,    /* configuration file invalid */
	WL_ESEQ = -23,       /* seq is zero or would overflow */
	WL_EBUSY = -24,      /* resource in use by another process */
	WL_ERANGE = -25,     /* number outside its allowed range */
	WL_EPERM = -26,      /* key file readable by others, or wrong owner */
	WL_EUSAGE = -27,     /* command line not understood */
	WL_EDENIED = -28,    /* rejected by an access or password rule */
	WL_ERROR_MIN = -29   /* one below the lowest code; for table sizes */
};

#define WL_ERROR_COUNT (-WL_ERROR_MIN)

/* Return a static, human-readable description of an error code.
 * Unknown codes return "unknown error"; the string is never NULL. */
const char *wl_strerror(int err);

/* Return a short snake_case name of an error code for log fields and metric
 * labels ("body_hash", "chain"). Never NULL. */
const char *wl_strerror_name(int err);

#endif
