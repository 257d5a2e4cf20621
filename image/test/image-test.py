#!/usr/bin/env python3
"""Boot two Wardline appliance images under QEMU and check them.

Usage: image/test/image-test.py IMAGE_DIR WORK_DIR CLI

IMAGE_DIR contains what image/build.sh wrote (wardline.img, root.ext4,
root.offset_mib and the wardline .deb). CLI is the wardline admin CLI of
this repository's build, which plays the admin with the site key.

The guests boot a test variant of the image: the same disk with one
addition on the root file system, a root shell on the second serial port,
which the test drives. Their only network is a QEMU socket network
between the two, on 127.0.0.1 of this machine; nothing reaches another
host. The test checks these, on guest A unless a line names B:

  - both nodes reach ready (systemd's "Started" line on the console, which
    a Type=notify service gets after READY=1), and the time it took;
  - the web UI answers on 127.0.0.1:8080 inside the guest, the data
    directory is the data partition, no SSH server listens;
  - systemd-analyze verify and security on the unit (exposure score);
  - the kiosk browser shows the enrollment page (a screenshot);
  - enrollment with tokens from `wardline enroll-token`, the restart
    with exit status 75, mDNS discovery between the guests, and
    replication of 20 events from A to B;
  - the firewall: B reaches A's peer port, but not a port that A listens
    on without a firewall rule, nor the UI port;
  - an update: the package installed again keeps the node key and the
    events, and the node is ready again.

Prints one line per check and ends with "image-test: N passed, N failed".
"""

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # keep image/test free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from guest import Guest  # noqa: E402

READY_PATTERN = r"Started \S*wardline-node\.service"
BOOT_TIMEOUT = 600
# Colours sampled from a screenshot above which the kiosk shows more than
# a blank or "Loading" screen (see check_kiosk).
PAGE_COLOURS = 50
AUTOLOGIN = """[Service]
ExecStart=
ExecStart=-/sbin/agetty --autologin root --noclear --keep-baud 115200 %I dumb
"""


class Checks:
    """Counts and prints the outcome of each check."""

    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, name, ok, detail=""):
        """Record check NAME; print it with DETAIL when it failed."""
        if ok:
            self.passed += 1
            print(f"ok   {name}")
        else:
            self.failed += 1
            print(f"FAIL {name}" + (f": {detail}" if detail else ""))
        sys.stdout.flush()
        return ok


def make_test_image(image_dir, work):
    """Copy the image and add the test shell to the copy's root file
    system with debugfs, which edits the ext4 file without mounting it."""
    root = os.path.join(work, "root-test.ext4")
    subprocess.run(["cp", "--sparse=always",
                    os.path.join(image_dir, "root.ext4"), root], check=True)
    dropin = os.path.join(work, "autologin.conf")
    with open(dropin, "w") as f:
        f.write(AUTOLOGIN)
    os.chmod(dropin, 0o644)
    unit = "serial-getty@ttyS1.service"
    commands = "\n".join([
        f"mkdir /etc/systemd/system/{unit}.d",
        f"write {dropin} /etc/systemd/system/{unit}.d/autologin.conf",
        f"symlink /etc/systemd/system/getty.target.wants/{unit} "
        "/lib/systemd/system/serial-getty@.service",
    ])
    subprocess.run(["debugfs", "-w", "-f", "-", root], input=commands.encode(),
                   check=True, capture_output=True)

    image = os.path.join(work, "test.img")
    subprocess.run(["cp", "--sparse=always",
                    os.path.join(image_dir, "wardline.img"), image],
                   check=True)
    with open(os.path.join(image_dir, "root.offset_mib")) as f:
        offset = int(f.read())
    subprocess.run(["dd", f"if={root}", f"of={image}", "bs=1M",
                    f"seek={offset}", "conv=notrunc,sparse", "status=none"],
                   check=True)
    os.remove(root)
    return image


def make_update_disk(image_dir, work):
    """Put the .deb on a raw disk for guest A; return (path, size)."""
    debs = sorted(p for p in os.listdir(image_dir) if p.endswith(".deb"))
    with open(os.path.join(image_dir, debs[-1]), "rb") as f:
        data = f.read()
    path = os.path.join(work, "update.img")
    with open(path, "wb") as f:
        f.write(data + b"\0" * (-len(data) % 512))
    return path, len(data)


def free_port():
    """Return a TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def json_of(guest, url):
    """GET URL inside GUEST and parse the JSON it returns."""
    _, text = guest.run(f"curl -fsS {url}")
    return json.loads(text)


def wait_for(description, predicate, timeout, interval=2):
    """Poll PREDICATE until it returns a true value; return that value and
    the seconds it took, or raise TimeoutError naming DESCRIPTION."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        value = predicate()
        if value:
            return value, time.monotonic() - start
        time.sleep(interval)
    raise TimeoutError(f"{description} after {timeout} s")


def guest_address(guest):
    """Return the guest's IPv4 address on the test network."""
    _, text = guest.run("ip -4 -o addr show scope global; "
                        "ip -4 -o addr show scope link")
    found = re.findall(r"inet (\d+\.\d+\.\d+\.\d+)/", text)
    return found[0] if found else None


def check_boot(checks, guests, report):
    """Wait for each node to be ready and open the test shells."""
    for g in guests:
        try:
            seconds = g.wait_console(READY_PATTERN, BOOT_TIMEOUT)
            report[f"{g.name} boot to ready (s)"] = round(seconds, 1)
            checks.check(f"{g.name}: node ready after {seconds:.0f} s "
                         f"({g.accel})", True)
        except (TimeoutError, RuntimeError) as e:
            checks.check(f"{g.name}: node ready", False, str(e))
            raise
        g.open_shell(120)
    _, text = guests[0].run("systemd-analyze time | head -n 1", check=False)
    report["A systemd-analyze time"] = text.strip()


def check_node_a(checks, a, report):
    """The service, the UI port, the data partition and SSH on guest A."""
    status, _ = a.run("systemctl is-active wardline-node", check=False)
    checks.check("A: wardline-node.service is active", status == 0)
    status, text = a.run("curl -fsS http://127.0.0.1:8080/enroll.html",
                         check=False)
    checks.check("A: UI answers on 127.0.0.1:8080 inside the guest",
                 status == 0 and "enroll.js" in text, text[-200:])
    state = json_of(a, "http://127.0.0.1:8080/api/enroll")
    checks.check("A: node is not enrolled at first boot",
                 state.get("enrolled") is False and
                 len(state.get("node", "")) == 64, str(state))
    _, text = a.run("findmnt -n -o SOURCE,FSTYPE,OPTIONS /var/lib/wardline; "
                    "blkid -s LABEL -o value $(findmnt -n -o SOURCE "
                    "/var/lib/wardline); stat -c '%U %a' /var/lib/wardline "
                    "/var/lib/wardline/node.key", check=False)
    checks.check("A: data directory is the wardline-data partition, "
                 "owned by wardline, key 0600",
                 "wardline-data" in text and "wardline 700" in text and
                 "wardline 600" in text, text)
    _, text = a.run("ss -Hltnu", check=False)
    report["A listening sockets"] = text.splitlines()
    checks.check("A: no SSH server listens", ":22 " not in text, text)
    checks.check("A: UI port bound to loopback only",
                 re.search(r"127\.0\.0\.1:8080", text) is not None and
                 re.search(r"(0\.0\.0\.0|\*|\[::\]):8080", text) is None,
                 text)
    _, text = a.run("nft list ruleset | grep -c 'policy drop'", check=False)
    checks.check("A: nftables ruleset loaded with policy drop",
                 text.strip().isdigit() and int(text) >= 2, text)


def check_unit(checks, a, report):
    """systemd-analyze verify and security on the node's unit."""
    status, text = a.run("systemd-analyze verify wardline-node.service "
                         "2>&1", check=False)
    checks.check("A: systemd-analyze verify reports nothing",
                 status == 0 and text.strip() == "", text)
    _, text = a.run("systemd-analyze security --no-pager "
                    "wardline-node.service 2>&1 | tail -n 1", check=False)
    match = re.search(r"exposure level for wardline-node.service: "
                      r"([0-9.]+) (\w+)", text)
    report["exposure score"] = text.strip()
    checks.check(f"A: systemd-analyze security: {text.strip()}",
                 match is not None and float(match.group(1)) < 2.0, text)


def check_kiosk(checks, a, work):
    """The kiosk browser runs and draws the enrollment page."""
    def browser_up():
        status, _ = a.run("pgrep -u kiosk chromium >/dev/null", check=False)
        return status == 0

    try:
        _, seconds = wait_for("kiosk browser", browser_up, 240, 5)
        checks.check(f"A: kiosk browser runs ({seconds:.0f} s after the "
                     "shell)", True)
    except TimeoutError as e:
        _, text = a.run("journalctl -b -u wardline-kiosk --no-pager | "
                        "tail -n 30", check=False)
        checks.check("A: kiosk browser runs", False, f"{e}\n{text}")
        return
    # A blank screen samples to one colour and the "Loading" text to
    # about ten. The enrollment page, with its node key box and buttons,
    # samples to over a hundred. Under software emulation its first paint
    # took 30 to 90 s on this project's build machine.
    png = os.path.join(work, "kiosk-A.png")

    def page_drawn():
        colours = a.screenshot(png)
        return colours if colours > PAGE_COLOURS else None

    try:
        colours, seconds = wait_for("enrollment page drawn", page_drawn,
                                    300, 10)
        checks.check(f"A: kiosk shows the enrollment page after "
                     f"{seconds:.0f} s ({png}, {colours} colours sampled)",
                     True)
    except TimeoutError as e:
        # NOTE: in one of four runs under TCG on a loaded build machine,
        # the screen stayed at cage's empty background for 300 s while
        # Chromium ran. The cause is not known, so the journal follows.
        _, text = a.run("journalctl -b --no-pager -u wardline-kiosk | "
                        "tail -n 30; ps -u kiosk -o pid,etime,args | "
                        "cut -c1-120", check=False)
        checks.check(f"A: kiosk shows the enrollment page ({png})", False,
                     f"{e}\n{text}")


def enroll(checks, guest, name, cli, site_dir):
    """Enroll GUEST through its UI's API with a token from the CLI; return
    its node id."""
    node = json_of(guest, "http://127.0.0.1:8080/api/enroll")["node"]
    token = subprocess.run([cli, "enroll-token", "--site-dir", site_dir,
                            "--node-key", node, "--name", name],
                           check=True, capture_output=True,
                           text=True).stdout.strip()
    body = json.dumps({"token": token})
    status, text = guest.run(
        "curl -sS -o /dev/stderr -w '%{http_code}' -X POST "
        "-H 'Content-Type: application/json' "
        "-H 'Origin: http://127.0.0.1:8080' "
        f"--data '{body}' http://127.0.0.1:8080/api/enroll 2>&1",
        check=False)
    checks.check(f"{guest.name}: token accepted", text.endswith("200"), text)

    def restarted():
        status, text = guest.run("curl -fsS http://127.0.0.1:8080/api/enroll",
                                 check=False)
        if status != 0:
            return None
        state = json.loads(text)
        return state if state["enrolled"] and not state["restarting"] \
            else None

    try:
        state, seconds = wait_for("restart after enrollment", restarted, 120)
        checks.check(f"{guest.name}: node restarted enrolled as "
                     f"{state['name']} in {seconds:.0f} s", True)
    except TimeoutError as e:
        checks.check(f"{guest.name}: node restarted enrolled", False, str(e))
    _, text = guest.run("journalctl -b -u wardline-node --no-pager | "
                        "grep -c 'exit_status=75'", check=False)
    checks.check(f"{guest.name}: node exited with status 75 to restart",
                 text.strip() not in ("", "0"), text)
    return node


def peer_count(guest):
    """Return the number of peers linked to the guest's node."""
    status = json_of(guest, "http://127.0.0.1:8080/status")
    return sum(1 for p in status.get("peers", []) if p.get("up_since_ms"))


def origin_events(guest, origin):
    """Return how many events of ORIGIN the guest's store holds."""
    _, text = guest.run("runuser -u wardline -- wardline log --limit 100000 "
                        f"--origin {origin} | wc -l", check=False)
    return int(text.strip() or 0)


def check_replication(checks, a, b, node_a, node_b, report):
    """mDNS discovery between the guests, then 20 events from A to B."""
    try:
        _, seconds = wait_for("peer links",
                              lambda: peer_count(a) >= 1 and
                              peer_count(b) >= 1, 180)
        report["link up after enrollment (s)"] = round(seconds, 1)
        checks.check(f"A and B: linked by mDNS discovery in {seconds:.0f} s",
                     True)
    except TimeoutError as e:
        _, text = b.run("journalctl -b -u wardline-node --no-pager | "
                        "tail -n 20", check=False)
        checks.check("A and B: linked by mDNS discovery", False,
                     f"{e}\n{text}")
        return
    _, text = a.run("runuser -u wardline -- wardline status", check=False)
    checks.check("A: status lists B as a peer", node_b[:16] in text, text)

    a.run("runuser -u wardline -- wardline append --count 20 >/dev/null")
    expected = origin_events(a, node_a)
    try:
        _, seconds = wait_for("replication",
                              lambda: origin_events(b, node_a) >= expected,
                              60, 1)
        report["replication of 20 events A to B (s)"] = round(seconds, 1)
        checks.check(f"B: holds all {expected} events of A after "
                     f"{seconds:.0f} s", True)
    except TimeoutError as e:
        checks.check("B: holds the events of A", False,
                     f"{e}: {origin_events(b, node_a)} of {expected}")
    status, text = b.run("runuser -u wardline -- wardline verify",
                         check=False)
    checks.check("B: wardline verify passes", status == 0, text[-300:])


def check_firewall(checks, a, b):
    """B reaches A's peer port only; A's own loopback still works."""
    addr = guest_address(a)
    if not checks.check(f"A: has an address on the test network ({addr})",
                        addr is not None):
        return
    a.run("setsid systemd-socket-activate -l 0.0.0.0:9999 --inetd cat "
          ">/dev/null 2>&1 < /dev/null &")
    time.sleep(1)
    probe = "timeout 5 bash -c 'exec 3<>/dev/tcp/{}/{}'"
    status, _ = a.run(probe.format("127.0.0.1", 9999), check=False)
    checks.check("A: port 9999 listens (reachable on loopback)", status == 0)
    status, _ = b.run(probe.format(addr, 7700), check=False)
    checks.check("B: reaches A's peer port 7700", status == 0)
    status, _ = b.run(probe.format(addr, 9999), check=False)
    checks.check("B: firewall refuses A's port 9999", status != 0)
    status, _ = b.run(probe.format(addr, 8080), check=False)
    checks.check("B: cannot reach A's UI port 8080", status != 0)


def check_update(checks, a, node_a, deb_size):
    """Install the package again from the update disk; the data stays."""
    before = origin_events(a, node_a)
    _, pid_before = a.run("systemctl show -p MainPID --value wardline-node")
    status, text = a.run(f"head -c {deb_size} /dev/vdb > /tmp/update.deb && "
                         "dpkg -i /tmp/update.deb 2>&1 | tail -n 3",
                         timeout=180, check=False)
    checks.check("A: package update installed", status == 0, text)
    status, _ = a.run("systemctl is-active wardline-node", check=False)
    _, pid_after = a.run("systemctl show -p MainPID --value wardline-node")
    checks.check("A: node restarted by the update and active",
                 status == 0 and pid_after != pid_before,
                 f"pid {pid_before} -> {pid_after}")
    state = json_of(a, "http://127.0.0.1:8080/api/enroll")
    checks.check("A: node key and enrollment kept by the update",
                 state["node"] == node_a and state["enrolled"], str(state))
    after = origin_events(a, node_a)
    checks.check(f"A: events kept by the update ({before} -> {after})",
                 after == before)


def main():
    image_dir, work, cli = (os.path.abspath(p) for p in sys.argv[1:4])
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    checks = Checks()
    report = {}
    guests = []

    image = make_test_image(image_dir, work)
    update_disk, deb_size = make_update_disk(image_dir, work)
    site_dir = os.path.join(work, "site")
    subprocess.run([cli, "init-site", "--site-dir", site_dir], check=True,
                   capture_output=True)
    port = free_port()
    try:
        a = Guest("A", work, image, f"listen=127.0.0.1:{port}",
                  "52:54:00:57:4c:0a", extra_disk=update_disk)
        guests.append(a)
        time.sleep(1)
        b = Guest("B", work, image, f"connect=127.0.0.1:{port}",
                  "52:54:00:57:4c:0b")
        guests.append(b)

        check_boot(checks, guests, report)
        check_node_a(checks, a, report)
        check_unit(checks, a, report)
        check_kiosk(checks, a, work)
        node_a = enroll(checks, a, "ward-a", cli, site_dir)
        node_b = enroll(checks, b, "ward-b", cli, site_dir)
        check_replication(checks, a, b, node_a, node_b, report)
        check_firewall(checks, a, b)
        check_update(checks, a, node_a, deb_size)
    except Exception as e:  # report, stop the guests, and fail
        checks.check("image test ran to the end", False, repr(e))
    finally:
        for g in guests:
            g.stop()
        for path in [image, update_disk] + [
                os.path.join(g.dir, "disk.qcow2") for g in guests]:
            if os.path.exists(path):
                os.remove(path)

    with open(os.path.join(work, "report.json"), "w") as f:
        json.dump(report, f, indent=2)
    for key, value in report.items():
        print(f"  {key}: {value}")
    print(f"image-test: {checks.passed} passed, {checks.failed} failed")
    return 0 if checks.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
