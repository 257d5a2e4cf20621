"""One appliance image booted under QEMU, for image-test.py.

The guest boots a copy-on-write overlay of the test image with OVMF as
its UEFI firmware. Its only network is the private socket network that
the caller names. Its first serial port (the system console) is written
to a file, and its second serial port is connected to a root shell that
only the test image has (see image-test.py).
"""

import os
import re
import select
import socket
import subprocess
import time
import zlib

OVMF_CODE = "/usr/share/OVMF/OVMF_CODE_4M.fd"
OVMF_VARS = "/usr/share/OVMF/OVMF_VARS_4M.fd"


def accelerator():
    """Return the QEMU options of the accelerator: TCG (software
    emulation) unless WL_IMAGE_TEST_ACCEL=kvm requests KVM. KVM is not the
    default because under nested virtualisation it can fail in OVMF
    ("KVM internal error", seen on the build machine of this project),
    while TCG boots everywhere."""
    if os.environ.get("WL_IMAGE_TEST_ACCEL") == "kvm":
        # Some nested hosts refuse the arch-capabilities MSR, and QEMU
        # then aborts at start.
        return ["-accel", "kvm", "-cpu", "host,-arch-capabilities"]
    return ["-accel", "tcg", "-cpu", "max"]


class Guest:
    """A running QEMU guest, its console log and its test shell."""

    def __init__(self, name, workdir, image, netdev=None, mac=None,
                 extra_disk=None, memory_mib=2048, cpus=1):
        self.name = name
        self.dir = os.path.join(workdir, name)
        os.makedirs(self.dir, exist_ok=True)
        self.console_path = os.path.join(self.dir, "console.log")
        self.shell_path = os.path.join(self.dir, "shell.sock")
        self.qmp_path = os.path.join(self.dir, "qmp.sock")
        overlay = os.path.join(self.dir, "disk.qcow2")
        vars_copy = os.path.join(self.dir, "OVMF_VARS.fd")

        subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", "-b",
                        os.path.abspath(image), "-F", "raw", overlay],
                       check=True)
        with open(OVMF_VARS, "rb") as src, open(vars_copy, "wb") as dst:
            dst.write(src.read())

        accel = accelerator()
        cmd = ["qemu-system-x86_64", "-machine", "q35", *accel,
               "-m", str(memory_mib), "-smp", str(cpus), "-nodefaults",
               # virtio-vga, not QEMU's standard VGA: the kiosk's
               # compositor (wlroots 0.15) needs PRIME buffer import,
               # which the bochs-drm driver of the standard VGA lacks.
               "-display", "none", "-vga", "none", "-device", "virtio-vga",
               "-drive", f"if=pflash,format=raw,unit=0,readonly=on,"
                         f"file={OVMF_CODE}",
               "-drive", f"if=pflash,format=raw,unit=1,file={vars_copy}",
               "-drive", f"file={overlay},format=qcow2,if=virtio",
               "-chardev", f"file,id=console,path={self.console_path}",
               "-serial", "chardev:console",
               "-chardev", f"socket,id=shell,path={self.shell_path},"
                           "server=on,wait=off",
               "-serial", "chardev:shell",
               "-qmp", f"unix:{self.qmp_path},server=on,wait=off",
               "-nic", "none"]
        if netdev:
            cmd += ["-netdev", f"socket,id=lan,{netdev}",
                    "-device", f"virtio-net-pci,netdev=lan,mac={mac}"]
        if extra_disk:
            cmd += ["-drive", f"file={extra_disk},format=raw,if=virtio,"
                              "readonly=on"]
        self.accel = accel[1]
        self.started = time.monotonic()
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                                     stdout=open(os.path.join(
                                         self.dir, "qemu.log"), "wb"),
                                     stderr=subprocess.STDOUT)
        self.shell = None
        self.marker = 0

    # ---- the console ----

    def console(self):
        """Return the console output so far, as text."""
        try:
            with open(self.console_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""

    def wait_console(self, pattern, timeout):
        """Wait until PATTERN (a regular expression) appears on the console;
        return the seconds since the guest started, or raise TimeoutError."""
        deadline = time.monotonic() + timeout
        regex = re.compile(pattern)
        while time.monotonic() < deadline:
            if regex.search(self.console()):
                return time.monotonic() - self.started
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name}: QEMU exited with status "
                                   f"{self.proc.returncode}")
            if "internal error" in self.qemu_log():
                raise RuntimeError(f"{self.name}: QEMU stopped the guest: "
                                   f"{self.qemu_log()[:200]}")
            time.sleep(0.5)
        raise TimeoutError(f"{self.name}: no '{pattern}' on the console "
                           f"after {timeout} s")

    def qemu_log(self):
        """Return what QEMU itself printed so far."""
        with open(os.path.join(self.dir, "qemu.log"), "rb") as f:
            return f.read().decode("utf-8", "replace")

    # ---- the test shell on the second serial port ----

    def _read_until(self, regex, timeout):
        deadline = time.monotonic() + timeout
        buf = b""
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self.shell], [], [], 0.5)
            if ready:
                chunk = self.shell.recv(65536)
                if not chunk:
                    raise RuntimeError(f"{self.name}: test shell closed")
                buf += chunk
                match = regex.search(buf)
                if match:
                    return buf, match
        raise TimeoutError(f"{self.name}: test shell timed out; last output "
                           f"{buf[-400:]!r}")

    def open_shell(self, timeout):
        """Connect to the autologin root shell and turn its echo off."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.shell = socket.socket(socket.AF_UNIX,
                                           socket.SOCK_STREAM)
                self.shell.connect(self.shell_path)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        while True:
            self.shell.sendall(b"\n")
            try:
                self._read_until(re.compile(rb"# $", re.M), 5)
                break
            except TimeoutError:
                if time.monotonic() > deadline:
                    raise
        self.run("stty -echo; export PS1= PS2= TERM=dumb PAGER=cat "
                 "SYSTEMD_PAGER=cat SYSTEMD_COLORS=0", check=False)

    def run(self, command, timeout=60, check=True):
        """Run COMMAND in the guest's shell; return (status, output)."""
        self.marker += 1
        begin = f"__wl_begin_{self.marker}__"
        end = f"__wl_end_{self.marker}__"
        # The end marker goes on a line of its own even when the output
        # does not end with a newline.
        line = (f"echo {begin}; {command}\n"
                f"wl_status=$?; echo; echo {end} $wl_status\n")
        self.shell.sendall(line.encode())
        buf, match = self._read_until(
            re.compile(rb"^" + end.encode() + rb" (\d+)", re.M), timeout)
        text = buf[:match.start()].decode("utf-8", "replace")
        text = text.split(begin, 1)[-1].replace("\r\n", "\n").strip("\n")
        status = int(match.group(1))
        if check and status != 0:
            raise RuntimeError(f"{self.name}: '{command}' failed with status "
                               f"{status}:\n{text}")
        return status, text

    # ---- QMP ----

    def qmp(self, command, **arguments):
        """Send one QMP command and return its reply."""
        import json
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.connect(self.qmp_path)
        reader = sock.makefile("rb")
        reader.readline()
        sock.sendall(b'{"execute": "qmp_capabilities"}\n')
        reader.readline()
        request = {"execute": command}
        if arguments:
            request["arguments"] = arguments
        sock.sendall(json.dumps(request).encode() + b"\n")
        while True:
            reply = json.loads(reader.readline())
            if "return" in reply or "error" in reply:
                sock.close()
                return reply

    def screenshot(self, png_path):
        """Save the guest's screen as PNG; return its number of colours."""
        ppm = os.path.join(self.dir, "screen.ppm")
        self.qmp("screendump", filename=ppm)
        with open(ppm, "rb") as f:
            data = f.read()
        header = data.split(b"\n", 3)
        width, height = (int(v) for v in header[1].split())
        pixels = header[3]
        rows = b"".join(b"\x00" + pixels[y * width * 3:(y + 1) * width * 3]
                        for y in range(height))

        def chunk(kind, body):
            crc = zlib.crc32(kind + body) & 0xffffffff
            return (len(body).to_bytes(4, "big") + kind + body +
                    crc.to_bytes(4, "big"))

        with open(png_path, "wb") as f:
            f.write(b"\x89PNG\r\n\x1a\n")
            f.write(chunk(b"IHDR", width.to_bytes(4, "big") +
                          height.to_bytes(4, "big") + b"\x08\x02\x00\x00\x00"))
            f.write(chunk(b"IDAT", zlib.compress(rows, 6)))
            f.write(chunk(b"IEND", b""))
        return len({pixels[i:i + 3] for i in range(0, len(pixels), 3 * 97)})

    def stop(self):
        """Power the guest off, and kill QEMU if it does not exit."""
        if self.shell:
            self.shell.close()
        if self.proc.poll() is None:
            try:
                self.qmp("quit")
            except OSError:
                pass
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
