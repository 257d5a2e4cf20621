#!/bin/bash
# needs: root
# Tampering with the audit trail is found and named. A node's store gets
# audit records from real logins. Then one byte of an audit event's header
# is flipped in a copy of the LMDB file, and one byte of its sealed body in
# a second copy. 'wardline audit verify' passes before each flip, and
# after it fails and names that event. No node runs: this test only reads
# and writes files.
. "$(dirname "$0")/lib.sh"

"$WL" init-site --site-dir "$NET_WORK/site" >/dev/null || exit 1
"$WL" enroll --site-dir "$NET_WORK/site" --data-dir "$NET_WORK/n1" \
	--name node-1 >/dev/null || exit 1
printf 'correct horse battery staple\n' >"$NET_WORK/admin.pw"
"$WL" user add --data-dir "$NET_WORK/n1" --site-dir "$NET_WORK/site" \
	--username alice --display-name "Alice Admin" --role admin \
	--password-file "$NET_WORK/admin.pw" >/dev/null
as_alice() {
	"$WL" "$@" --data-dir "$NET_WORK/n1" --as alice \
		--password-file "$NET_WORK/admin.pw"
}
as_alice space create --kind audit --name Audit >/dev/null 2>&1
as_alice space create --kind ward --name "4 West" >/dev/null
as_alice space list >/dev/null 2>&1

net_check "audit verify passes on an intact store" \
	as_alice audit verify

# The third audit event of the store: its local seq and full id.
line=$("$WL" log --data-dir "$NET_WORK/n1" | grep ' audit ' | sed -n 3p)
local_seq=$(awk '{print $1}' <<<"$line")
short=$(grep -o 'id=[0-9a-f]*' <<<"$line" | cut -c4-)
full=$("$WL" log --data-dir "$NET_WORK/n1" --ids | grep "^$short")
seq=$(grep -o '#[0-9]*' <<<"$line" | cut -c2-)
origin=$("$WL" id --data-dir "$NET_WORK/n1")
net_check "an audit event to tamper with" test -n "$full"

# flip TABLE SKIP: in a copy of the store under $NET_WORK/copy, flip the
# byte at offset SKIP of the value that TABLE stores for the event at
# local_seq. The events table stores the signed header, and the bodies
# table the sealed body.
flip() {
	rm -rf "$NET_WORK/copy"
	mkdir "$NET_WORK/copy"
	cp "$NET_WORK/n1"/* "$NET_WORK/copy/"
	rm -f "$NET_WORK/copy/lock.mdb"
	mdb_dump -s "$1" "$NET_WORK/copy" >"$NET_WORK/dump" 2>/dev/null
	python3 - "$NET_WORK/copy/data.mdb" "$NET_WORK/dump" "$local_seq" \
		"$2" <<'PY'
import sys
path, dump, seq, skip = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
lines = open(dump).read().split("\n")
body = lines[lines.index("HEADER=END") + 1:]
key = "%016x" % seq
value = None
for i in range(0, len(body) - 1, 2):
    if body[i].strip() == key:
        value = bytes.fromhex(body[i + 1].strip())
if value is None:
    sys.exit("no value for local seq %d" % seq)
data = bytearray(open(path, "rb").read())
# Copy-on-write leaves older copies of a page in free pages: flip all.
at = data.find(value)
if at < 0:
    sys.exit("value not found in the file")
while at >= 0:
    data[at + skip] ^= 0x01
    at = data.find(value, at + 1)
open(path, "wb").write(bytes(data))
PY
}
verify_copy() {
	"$WL" audit verify --data-dir "$NET_WORK/copy" --as alice \
		--password-file "$NET_WORK/admin.pw" >"$NET_WORK/verify.out" \
		2>&1
}
# A changed header changes the id computed from the stored bytes, so the
# report names that event by its origin and seq. A changed body keeps its
# id.
names_event() {
	! verify_copy &&
		grep -q "^BROKEN .*origin=$origin seq=$seq:" "$NET_WORK/verify.out"
}
names_id() {
	names_event && grep -q "^BROKEN .*event=$full" "$NET_WORK/verify.out"
}

# Byte 60 of the header lies in the prev hash; the chain and the node
# signature both break.
net_check "flip a header byte" flip events 60
net_check "a flipped header byte is named" names_event
net_check "flip a body byte" flip bodies 100
net_check "a flipped body byte is named" names_id
net_summary audit-tamper
