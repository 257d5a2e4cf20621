#!/bin/bash
# needs: root
# Users replicate. An admin made with the site key on node 1 adds a nurse,
# and node 1 goes down. Node 3 checks the nurse's password offline against
# the replicated account and refuses a wrong one. An admin then disables
# the nurse on node 3, and node 2 refuses her login.
. "$(dirname "$0")/lib.sh"

net_setup 3 || exit 1
for i in 1 2 3; do net_start "$i"; done
all_linked() {
	for i in 1 2 3; do
		[ "$(net_peers "$i")" -eq 2 ] || return 1
	done
}
net_check "three nodes link" net_until 10 all_linked

printf 'correct horse battery staple\n' >"$NET_WORK/admin.pw"
printf 'night shift on ward four\n' >"$NET_WORK/nurse.pw"
printf 'night shift on ward five\n' >"$NET_WORK/wrong.pw"
"$WL" user add --data-dir "$NET_WORK/n1" --site-dir "$NET_WORK/site" \
	--username alice --display-name "Alice Admin" --role admin \
	--password-file "$NET_WORK/admin.pw" >/dev/null
net_check "admin adds a nurse on node 1" "$WL" user add \
	--data-dir "$NET_WORK/n1" --admin alice \
	--admin-password-file "$NET_WORK/admin.pw" --username nina \
	--display-name "Nina Nurse" --role nurse \
	--password-file "$NET_WORK/nurse.pw"

nurse_on_3() {
	"$WL" user list --data-dir "$NET_WORK/n3" 2>/dev/null | grep -q "^nina "
}
net_check "the account reaches node 3" net_until 10 nurse_on_3
net_kill 1 TERM

net_check "nurse logs in on node 3 with node 1 down" "$WL" user check-login \
	--data-dir "$NET_WORK/n3" --username nina \
	--password-file "$NET_WORK/nurse.pw"
net_check "a wrong password is refused on node 3" sh -c "! '$WL' user \
	check-login --data-dir '$NET_WORK/n3' --username nina \
	--password-file '$NET_WORK/wrong.pw' 2>/dev/null"
net_check "admin disables the nurse on node 3" "$WL" user disable \
	--data-dir "$NET_WORK/n3" --admin alice \
	--admin-password-file "$NET_WORK/admin.pw" --username nina
disabled_on_2() {
	"$WL" user list --data-dir "$NET_WORK/n2" 2>/dev/null |
		grep -q "^nina .*(disabled)$"
}
net_check "the disable reaches node 2" net_until 10 disabled_on_2
net_check "a disabled nurse cannot log in on node 2" sh -c "! '$WL' user \
	check-login --data-dir '$NET_WORK/n2' --username nina \
	--password-file '$NET_WORK/nurse.pw' 2>/dev/null"
net_check "no password in any data directory" sh -c "! grep -r -q -a \
	-e 'night shift on ward' -e 'correct horse battery' \
	'$NET_WORK'/n1 '$NET_WORK'/n2 '$NET_WORK'/n3"
net_summary users
