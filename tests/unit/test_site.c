#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sodium.h>
#include <string.h>
#include <sys/stat.h>

#include "testutil.h"
#include "wardline/error.h"
#include "wardline/site.h"

#define NOW 1796400000000ull /* 2026-12-04, Unix milliseconds */

struct fixture {
	char *dir;
	unsigned char *sk;
	unsigned char pk[32];
	unsigned char node_pk[32];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	unsigned char node_sk[64];

	f->dir = testutil_mkdtemp();
	if (wl_site_create(f->dir, f->pk) != 0)
		return -1;
	if (wl_site_load_secret(f->dir, &f->sk, f->pk) != 0)
		return -1;
	crypto_sign_keypair(f->node_pk, node_sk);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	sodium_free(f->sk);
	testutil_rmdir(f->dir);
	free(f);
	return 0;
}

static void site_create_files(void **state)
{
	struct fixture *f = *state;
	unsigned char pk[32];
	unsigned char pub[32];
	char path[512];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", f->dir, WL_SITE_KEY_FILE);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	snprintf(path, sizeof(path), "%s/%s", f->dir, WL_SITE_PUB_FILE);
	assert_int_equal(wl_site_load_public(path, pub), 0);
	assert_memory_equal(pub, f->pk, 32);
	assert_int_equal(wl_site_create(f->dir, pk), WL_EEXIST);
}

static void cert_round_trip(void **state)
{
	struct fixture *f = *state;
	struct wl_node_cert c;
	struct wl_node_cert d;
	unsigned char buf[WL_CERT_SIZE];

	assert_int_equal(wl_cert_issue(f->sk, f->node_pk, "tablet-a", NOW,
				       NOW + 1000, &c), 0);
	wl_cert_encode(&c, buf);
	assert_int_equal(wl_cert_decode(buf, sizeof(buf), &d), 0);
	assert_string_equal(d.name, "tablet-a");
	assert_memory_equal(d.node_pk, f->node_pk, 32);
	assert_memory_equal(d.site_pk, f->pk, 32);
	assert_int_equal(d.issued_ms, NOW);
	assert_int_equal(d.expires_ms, NOW + 1000);
	assert_int_equal(wl_cert_verify(&d, f->pk, NOW), 0);
}

static void cert_validity_window(void **state)
{
	struct fixture *f = *state;
	struct wl_node_cert c;
	unsigned char other_pk[32];
	unsigned char other_sk[64];

	assert_int_equal(wl_cert_issue(f->sk, f->node_pk, "pharmacy", NOW,
				       NOW + 1000, &c), 0);
	assert_int_equal(wl_cert_verify(&c, f->pk, NOW + 1000), WL_ECERT);
	assert_int_equal(wl_cert_verify(&c, f->pk, NOW - 2 * 86400000ull),
			 WL_ECERT);
	crypto_sign_keypair(other_pk, other_sk);
	assert_int_equal(wl_cert_verify(&c, other_pk, NOW), WL_ECERT);
}

static void cert_every_byte_tamper(void **state)
{
	struct fixture *f = *state;
	struct wl_node_cert c;
	struct wl_node_cert d;
	unsigned char buf[WL_CERT_SIZE];

	assert_int_equal(wl_cert_issue(f->sk, f->node_pk, "station-1", NOW, 0,
				       &c), 0);
	wl_cert_encode(&c, buf);
	for (size_t i = 0; i < sizeof(buf); i++) {
		buf[i] ^= 0x01;
		if (wl_cert_decode(buf, sizeof(buf), &d) == 0)
			assert_int_not_equal(wl_cert_verify(&d, f->pk, NOW), 0);
		buf[i] ^= 0x01;
	}
	assert_int_equal(wl_cert_decode(buf, sizeof(buf), &d), 0);
	assert_int_equal(wl_cert_verify(&d, f->pk, NOW), 0);
}

static void cert_decode_malformed(void **state)
{
	struct fixture *f = *state;
	struct wl_node_cert c;
	struct wl_node_cert d;
	unsigned char buf[WL_CERT_SIZE + 1];

	assert_int_equal(wl_cert_issue(f->sk, f->node_pk, "a", NOW, 0, &c), 0);
	wl_cert_encode(&c, buf);
	assert_int_equal(wl_cert_decode(buf, WL_CERT_SIZE - 1, &d), WL_ETRUNC);
	assert_int_equal(wl_cert_decode(buf, WL_CERT_SIZE + 1, &d),
			 WL_ETRAILING);
	buf[0] = 2;
	assert_int_equal(wl_cert_decode(buf, WL_CERT_SIZE, &d), WL_EVERSION);
	buf[0] = 1;
	buf[85] = 'Z'; /* after the NUL that ends the name "a" */
	assert_int_equal(wl_cert_decode(buf, WL_CERT_SIZE, &d), WL_EINVAL);
}

static void site_name_rules(void **state)
{
	(void)state;
	assert_int_equal(wl_site_name_check("tablet-a"), 0);
	assert_int_equal(wl_site_name_check("ward4.station2"), 0);
	assert_int_equal(wl_site_name_check(""), WL_EINVAL);
	assert_int_equal(wl_site_name_check("-lead"), WL_EINVAL);
	assert_int_equal(wl_site_name_check("Upper"), WL_EINVAL);
	assert_int_equal(wl_site_name_check("has space"), WL_EINVAL);
	assert_int_equal(wl_site_name_check(
				 "abcdefghijklmnopqrstuvwxyz012345"),
			 WL_EINVAL);
}

static void site_id_stable(void **state)
{
	struct fixture *f = *state;
	unsigned char a[WL_SITE_ID_SIZE];
	unsigned char b[WL_SITE_ID_SIZE];

	wl_site_id(f->pk, a);
	wl_site_id(f->pk, b);
	assert_memory_equal(a, b, sizeof(a));
	f->pk[0] ^= 1;
	wl_site_id(f->pk, b);
	f->pk[0] ^= 1;
	assert_memory_not_equal(a, b, sizeof(a));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(site_create_files, setup, teardown),
		cmocka_unit_test_setup_teardown(cert_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(cert_validity_window, setup,
						teardown),
		cmocka_unit_test_setup_teardown(cert_every_byte_tamper, setup,
						teardown),
		cmocka_unit_test_setup_teardown(cert_decode_malformed, setup,
						teardown),
		cmocka_unit_test(site_name_rules),
		cmocka_unit_test_setup_teardown(site_id_stable, setup, teardown),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
