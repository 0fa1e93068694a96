#!/bin/sh
# egret in a dracut initramfs without systemd: a pre-pivot hook, run with
# the real root mounted at $NEWROOT. A failure is logged and the boot goes
# on, unless egret.strict is on the kernel command line.
# shellcheck source=/dev/null # dracut's, in the initramfs
type getargbool >/dev/null 2>&1 || . /lib/dracut-lib.sh

modprobe -q qemu_fw_cfg 2>/dev/null
modprobe -q dmi-sysfs 2>/dev/null
/usr/bin/egret apply --sysroot "${NEWROOT:-/sysroot}"
rc=$?
if [ "$rc" -ne 0 ]; then
    if getargbool 0 egret.strict; then
        die "egret failed (exit $rc) and egret.strict is set"
    fi
    warn "egret failed (exit $rc); booting on (egret.strict stops the boot instead)"
fi
