#!/bin/bash
# needs: root
# Audit coverage: a scenario on two nodes performs each audited action
# once, then a compliance officer exports the trail on node 1. For each
# action exactly one record must exist, naming the right user, the node it
# happened on, the patient where there is one, and a time inside the
# command that did it. Every command is also one login and one logout.
. "$(dirname "$0")/lib.sh"

net_setup 2 || exit 1
for i in 1 2; do net_start "$i"; done
linked() { [ "$(net_peers 1)" -eq 1 ] && [ "$(net_peers 2)" -eq 1 ]; }
net_check "two nodes link" net_until 10 linked

pw() { printf '%s\n' "$2" >"$NET_WORK/$1.pw"; }
pw alice 'correct horse battery staple'
pw nina 'night shift on ward four'
pw paul 'pharmacy counter at noon'
pw carol 'records office second floor'
pw wrong 'not the right password at all'
printf '[session]\nthrottle_base_ms = 0\nlockout_failures = 3\n' \
	>"$NET_WORK/cli.conf"
printf '[retention]\nclock_offset_ms = %d\n' $((40 * 86400000)) \
	>"$NET_WORK/later.conf"
wl() { "$WL" --config "$NET_WORK/cli.conf" "$@"; }
id1=$("$WL" id --data-dir "$NET_WORK/n1")
id2=$("$WL" id --data-dir "$NET_WORK/n2")

# Setup before the audit space exists writes no records.
wl user add --data-dir "$NET_WORK/n1" --site-dir "$NET_WORK/site" \
	--username alice --display-name "Alice Admin" --role admin \
	--password-file "$NET_WORK/alice.pw" >/dev/null
wl space create --data-dir "$NET_WORK/n1" --kind audit --name Audit \
	--as alice --password-file "$NET_WORK/alice.pw" >/dev/null 2>&1
wl space create --data-dir "$NET_WORK/n1" --kind ward --name "4 West" \
	--as alice --password-file "$NET_WORK/alice.pw" >/dev/null

# The log of expectations: ACTION USER NODE PATIENT START END, one line
# per action, with the command's start and end in Unix milliseconds.
# ACTIONS is one action, or several joined by "+" when one command does
# them all.
expect() { # expect ACTIONS USER NODE PATIENT COMMAND...: run and record
	local actions=$1 user=$2 node=$3 patient=$4 start end action
	shift 4
	start=$(date +%s%3N)
	"$@" >/dev/null 2>&1
	end=$(date +%s%3N)
	for action in ${actions//+/ }; do
		echo "$action $user $node ${patient:--} $start $end" \
			>>"$NET_WORK/expected"
	done
}
as() { # as USER NODE COMMAND...
	local user=$1 node=$2
	shift 2
	wl "$@" --data-dir "$NET_WORK/n$node" --as "$user" \
		--password-file "$NET_WORK/$user.pw"
}
admin() { # admin NODE user VERB ARGS...: a user command by alice
	local node=$1
	shift
	wl "$@" --data-dir "$NET_WORK/n$node" --admin alice \
		--admin-password-file "$NET_WORK/alice.pw"
}

expect user_added alice 1 "" admin 1 user add --username nina \
	--display-name "Nina Nurse" --role nurse \
	--password-file "$NET_WORK/nina.pw"
expect user_added alice 1 "" admin 1 user add --username paul \
	--display-name "Paul Pharmacist" --role pharmacist \
	--password-file "$NET_WORK/paul.pw"
expect user_added alice 1 "" admin 1 user add --username carol \
	--display-name "Carol Compliance" --role compliance_officer \
	--password-file "$NET_WORK/carol.pw"
expect member_added alice 1 "" as alice 1 space add --space Audit \
	--user carol
expect member_added alice 1 "" as alice 1 space add --space "4 West" \
	--user nina
on_2() { "$WL" user list --data-dir "$NET_WORK/n2" | grep -q "^carol "; }
net_check "accounts reach node 2" net_until 10 on_2
sleep 1

printf 'name=Hollis Quarrington\nbed=4\nseverity=watcher\n' \
	>"$NET_WORK/p4.fields"
expect record_updated nina 2 patient/p4 as nina 2 ward set \
	--space "4 West" --entity patient/p4 \
	--fields-file "$NET_WORK/p4.fields"
expect record_viewed nina 2 patient/p4 as nina 2 ward show \
	--space "4 West" --patient patient/p4
printf 'Bed 4 potassium 5.9, recheck at 14:00\n' >"$NET_WORK/msg.txt"
expect message_sent nina 2 "" as nina 2 message post --space "4 West" \
	--text-file "$NET_WORK/msg.txt"
expect messages_read nina 2 "" as nina 2 message read --space "4 West"
expect access_denied paul 2 "" as paul 2 message read --space "4 West"
printf 'Covering bed 4 during a rapid response\n' >"$NET_WORK/reason.txt"
expect emergency_access_granted alice 1 "" as alice 1 space grant \
	--space "4 West" --user paul --minutes 30 \
	--reason-file "$NET_WORK/reason.txt"

# Three wrong passwords lock nina's account, and an admin unlocks it.
for k in 1 2; do
	expect login_failed nina 2 "" wl message read --data-dir \
		"$NET_WORK/n2" --space "4 West" --as nina \
		--password-file "$NET_WORK/wrong.pw"
done
expect login_failed+account_locked nina 2 "" wl message read --data-dir "$NET_WORK/n2" \
	--space "4 West" --as nina --password-file "$NET_WORK/wrong.pw"
expect account_unlocked alice 1 "" admin 1 user unlock --username nina
expect member_removed alice 1 "" as alice 1 space remove --space "4 West" \
	--user nina
expect policy_changed alice 1 "" as alice 1 policy set --days message=30
expect bodies_pruned - 1 "" "$WL" --config "$NET_WORK/later.conf" prune \
	--data-dir "$NET_WORK/n1"
id3=$(printf '%064d' 7)
expect device_revoked alice 1 "" wl revoke --site-dir "$NET_WORK/site" \
	--data-dir "$NET_WORK/n1" --as alice \
	--password-file "$NET_WORK/alice.pw" "$id3"
sleep 2
export_trail() {
	as carol 1 audit export --format csv >"$NET_WORK/trail.csv"
}
expect audit_exported carol 1 "" export_trail
net_check "the trail exports" test -s "$NET_WORK/trail.csv"

# Compare the export with the expectations. Each action must have exactly
# as many records as expectation lines. Each record must name the user
# (or none), the node and the patient of its line, and fall in its window.
python3 - "$NET_WORK/trail.csv" "$NET_WORK/expected" "$id1" "$id2" \
	>"$NET_WORK/coverage" <<'PY'
import csv, sys, datetime
rows = list(csv.DictReader(open(sys.argv[1])))
nodes = {"1": sys.argv[3][:16], "2": sys.argv[4][:16]}
expected = [l.split() for l in open(sys.argv[2])]
by_action = {}
for e in expected:
    by_action.setdefault(e[0], []).append(e)
def ms(t):
    return int(datetime.datetime.strptime(t, "%Y-%m-%dT%H:%M:%SZ").replace(
        tzinfo=datetime.timezone.utc).timestamp() * 1000)
for action, exps in by_action.items():
    got = [r for r in rows if r["action"] == action]
    ok = len(got) == len(exps)
    for e, r in zip(exps, sorted(got, key=lambda r: (r["time"], r["seq"]))):
        user = "" if e[1] == "-" else e[1]
        patient = "" if e[3] == "-" else e[3]
        # the export's time has whole seconds
        ok = ok and r["username"] == user and r["node"] == nodes[e[2]] \
            and r["patient"] == patient \
            and int(e[4]) - 1000 <= ms(r["time"]) <= int(e[5])
    print(("ok" if ok else "BAD"), action, len(exps), "expected,",
          len(got), "found")
PY
while read -r status action _; do
	net_check "audit record of $action" test "$status" = ok
done <"$NET_WORK/coverage"
grep BAD "$NET_WORK/coverage" >&2
logins() { grep -c ",\"$1\",\"ok\",\"$2\"," "$NET_WORK/trail.csv"; }
net_check "every login of nina has its logout" \
	test "$(logins login nina)" -eq "$(logins logout nina)"
enrolled() { grep -c "\"device_enrolled\",.*\"node ${1:0:16} name $2\"" \
	"$NET_WORK/trail.csv"; }
net_check "each enrollment is in the trail once" \
	test "$(enrolled "$id1" node-1)$(enrolled "$id2" node-2)" = 11
net_check "the grant is flagged as emergency access" \
	grep -q '"emergency_access_granted",.*"emergency"' "$NET_WORK/trail.csv"
net_summary audit-coverage
